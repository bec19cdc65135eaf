{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

impressions as (

    select * from source
    where type = 'impression'
        and not coalesce(is_bot, false)

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

        -- impression
        {{ json_text('properties', 'campaign') }} as campaign,
        {{ json_text('properties', 'creative') }} as creative,
        {{ json_text('properties', 'placement') }} as placement,

        -- context
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from impressions

)

select * from renamed
