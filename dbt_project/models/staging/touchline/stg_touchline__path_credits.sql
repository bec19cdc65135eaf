with

source as (

    select * from {{ source('touchline_computed', 'attribution_path_credits') }}

),

renamed as (

    select
        account,
        cast(period_start as date) as period_start,
        model,
        path_key,
        cast(touch_position as {{ dbt.type_int() }}) as touch_position,
        channel,
        cast(conversion_share as {{ double_type() }}) as conversion_share,
        cast(value_share as {{ double_type() }}) as value_share
    from source

)

select * from renamed
