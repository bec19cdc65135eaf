{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

aliases as (

    select * from source
    where type = 'alias'

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

        -- alias
        {{ json_text('properties', 'previous_id') }} as previous_id,

        -- context
        is_bot,
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from aliases

)

select * from renamed
