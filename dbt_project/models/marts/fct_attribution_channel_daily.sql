{{
    config(
        unique_key=['account', 'date_day', 'channel', 'model'],
        meta={'partition_date_column': 'date_day', 'partition_index': ['account', 'date_day', 'model'], 'restated_by_month': true, 'report_index': ['account', 'model', 'date_day', 'channel', 'conversions', 'revenue', 'touches']},
    )
}}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

attributed as (

    select account, sale_date, channel, model, touch_key, conversion_credit, revenue_credit,
        reporting_currency
    from {{ ref('fct_attributed_conversions') }}
    where {{ restated_filter('sale_date') }}

),

channel_daily as (

    select
        account,
        sale_date as date_day,
        channel,
        model,
        sum(conversion_credit) as conversions,
        sum(revenue_credit) as revenue,
        count(*) as touches,
        max(reporting_currency) as reporting_currency
    from attributed
    group by account, sale_date, channel, model

),

final as (

    select
        {{ surrogate_key(['account', 'date_day', 'channel', 'model']) }} as attribution_channel_daily_key,
        account,
        date_day,
        channel,
        model,
        cast(conversions as {{ double_type() }}) as conversions,
        cast(revenue as {{ double_type() }}) as revenue,
        cast(touches as {{ dbt.type_bigint() }}) as touches,
        cast(reporting_currency as {{ varchar_type(3) }}) as reporting_currency
    from channel_daily

)

select * from final
