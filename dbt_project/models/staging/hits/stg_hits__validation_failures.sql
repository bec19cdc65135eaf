{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

validation_failures as (

    select * from source
    where type = 'validation_failure'

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

        -- validation_failure
        {{ json_text('properties', 'reason') }} as reason,
        {{ json_text('properties', 'level') }} as failed_level,
        {{ json_text('properties', 'failed_hit_id') }} as failed_hit_id,
        {{ json_text('properties', 'failed_type') }} as failed_type,
        {{ json_text('properties', 'browser') }} as browser,
        {{ json_text('properties', 'os') }} as os,

        -- context
        is_bot,
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from validation_failures

)

select * from renamed
