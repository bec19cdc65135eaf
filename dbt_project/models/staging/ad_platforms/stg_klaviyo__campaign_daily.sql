{{ stg_campaign_daily('klaviyo') }}
