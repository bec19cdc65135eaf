{{ stg_campaign_daily('tiktok') }}
