{{
    config(
        unique_key=['account', 'date_day', 'channel'],
        meta={'partition_date_column': 'date_day'},
    )
}}

with

sessions as (

    select
        account,
        session_date,
        channel,
        visitor_id,
        pageviews
    from {{ ref('int_sessions') }}
    where {{ partition_filter('session_date') }}

),

channel_daily as (

    select
        account,
        session_date as date_day,
        channel,
        count(*) as sessions,
        count(distinct visitor_id) as visitors,
        sum(pageviews) as pageviews
    from sessions
    group by account, session_date, channel

),

final as (

    select
        {{ surrogate_key(['account', 'date_day', 'channel']) }} as channel_daily_key,
        account,
        date_day,
        channel,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(visitors as {{ dbt.type_bigint() }}) as visitors,
        cast(pageviews as {{ dbt.type_bigint() }}) as pageviews
    from channel_daily

)

select * from final
