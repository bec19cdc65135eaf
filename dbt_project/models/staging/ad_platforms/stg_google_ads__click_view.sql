with

source as (

    select * from {{ source('ad_platforms', 'raw_google_ads__click_view') }}

),

renamed as (

    select
        account,
        cast(date_day as date) as date_day,
        {{ touchline.ad_account_id('google_ads', 'account_id') }} as account_id,
        gclid,
        cast(campaign_id as {{ touchline.varchar_type(64) }}) as campaign_id,
        cast(ad_group_id as {{ touchline.varchar_type(64) }}) as ad_group_id
    from source

)

select * from renamed
