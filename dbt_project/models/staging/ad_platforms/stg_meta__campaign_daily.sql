{{ stg_campaign_daily('meta') }}
