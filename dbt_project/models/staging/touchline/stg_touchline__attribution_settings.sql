with

source as (

    select * from {{ source('touchline_computed', 'account_attribution_settings') }}

),

renamed as (

    select
        account,
        timezone,
        upper(currency) as reporting_currency,
        cast(lookback_days as {{ dbt.type_int() }}) as lookback_days,
        cast(fit_days as {{ dbt.type_int() }}) as fit_days,
        cast(view_through_hours as {{ dbt.type_int() }}) as view_through_hours
    from source

)

select * from renamed
