{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

pageviews as (

    select * from source
    where type = 'pageview'
        and not coalesce(is_bot, false)
        -- a pageview that landed at the fallback level without a usable URL
        -- cannot be placed on a page or a session's landing page
        and url is not null

),

renamed as (

    select
        -- ids
        hit_id,
        account,
        visitor_id,
        session_id as client_session_id,
        user_id,

        -- timestamps
        event_at,
        event_date,
        received_at,

        -- page
        url as page_url,
        {{ normalize_host(url_host('url')) }} as page_host,
        {{ url_path('url') }} as page_path,
        title as page_title,

        -- referrer
        nullif(trim(referrer), '') as referrer_url,
        {{ normalize_host(url_host('referrer')) }} as referrer_host,

        -- campaign parameters (trimmed, case kept)
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(utm_term), '') as utm_term,
        nullif(trim(utm_content), '') as utm_content,

        -- click ids
        nullif(trim(gclid), '') as gclid,
        nullif(trim(msclkid), '') as msclkid,
        nullif(trim(dclid), '') as dclid,
        nullif(trim(wbraid), '') as wbraid,
        nullif(trim(gbraid), '') as gbraid,
        nullif(trim(fbclid), '') as fbclid,
        nullif(trim(ttclid), '') as ttclid,
        nullif(trim(li_fat_id), '') as li_fat_id,

        -- context
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from pageviews

)

select * from renamed
