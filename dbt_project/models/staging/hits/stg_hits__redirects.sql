{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

redirects as (

    select * from source
    where type = 'redirect'
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

        -- redirect
        {{ json_text('properties', 'target') }} as target_url,
        {{ json_text('properties', 'campaign') }} as campaign,
        {{ json_text('properties', 'creative') }} as creative,
        {{ json_text('properties', 'placement') }} as placement,

        -- context
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from redirects

)

select * from renamed
