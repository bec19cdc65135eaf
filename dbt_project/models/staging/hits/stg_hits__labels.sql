{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

labels as (

    select * from source
    where type = 'label'
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

        -- label
        {{ json_text('properties', 'key') }} as label_key,
        {{ json_text('properties', 'value') }} as label_value,

        -- context
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from labels

)

select * from renamed
