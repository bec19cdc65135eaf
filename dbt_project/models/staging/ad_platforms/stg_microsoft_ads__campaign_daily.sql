{{ stg_campaign_daily('microsoft_ads') }}
