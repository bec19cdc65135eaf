with

source as (

    select * from {{ source('touchline_computed', 'account_channel_rules') }}

),

renamed as (

    select
        account,
        cast(rule_position as {{ dbt.type_int() }}) as rule_position,
        cast(condition_position as {{ dbt.type_int() }}) as condition_position,
        field,
        operator,
        value,
        channel
    from source

)

select * from renamed
