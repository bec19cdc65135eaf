{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

events as (

    select * from source
    where type = 'event'
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

        -- event
        {{ json_text('properties', 'category') }} as category,
        {{ json_text('properties', 'action') }} as action,
        {{ json_text('properties', 'label') }} as label,
        {{ json_number('properties', 'value') }} as event_value,

        -- context
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from events

)

select * from renamed
