{{
    config(
        materialized='view',
    )
}}

with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

sales as (

    select * from source
    where type = 'sale'

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

        -- sale
        {{ json_text('properties', 'order_id') }} as order_id,
        {{ json_number('properties', 'revenue') }} as revenue,
        {{ json_text('properties', 'currency') }} as currency,
        {{ json_fragment('properties', 'items') }} as items_json,

        -- context
        is_bot,
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at

    from sales

)

select * from renamed
