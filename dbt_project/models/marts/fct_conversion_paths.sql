{{
    config(
        unique_key=['account', 'date_day', 'path_key'],
        meta={'partition_date_column': 'date_day', 'restated_by_month': true},
    )
}}

{#- The channel paths of the day's sales: how many sales each path ended in
    and their revenue. Top paths over any days: sum conversions by path. -#}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

sales as (

    select account, sale_date, path_key, path, touch_count, revenue_reporting, reporting_currency
    from {{ ref('int_sale_journeys') }}
    where {{ restated_filter('sale_date') }}
        and touch_position = 1

),

paths as (

    select
        account,
        sale_date as date_day,
        path_key,
        max(path) as path,
        max(touch_count) as path_length,
        count(*) as conversions,
        sum(revenue_reporting) as revenue,
        max(reporting_currency) as reporting_currency
    from sales
    group by account, sale_date, path_key

),

final as (

    select
        {{ surrogate_key(['account', 'date_day', 'path_key']) }} as conversion_path_key,
        account,
        date_day,
        path_key,
        path,
        cast(path_length as {{ dbt.type_int() }}) as path_length,
        cast(conversions as {{ dbt.type_bigint() }}) as conversions,
        cast(revenue as decimal(18, 6)) as revenue,
        cast(reporting_currency as {{ varchar_type(3) }}) as reporting_currency,
        cast(row_number() over (
            partition by account, date_day order by conversions desc, revenue desc, path_key
        ) as {{ dbt.type_int() }}) as path_rank
    from paths

)

select * from final
