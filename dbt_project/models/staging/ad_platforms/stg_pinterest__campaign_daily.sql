{{ stg_campaign_daily('pinterest') }}
