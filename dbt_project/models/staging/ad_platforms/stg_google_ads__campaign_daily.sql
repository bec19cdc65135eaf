{{ stg_campaign_daily('google_ads') }}
