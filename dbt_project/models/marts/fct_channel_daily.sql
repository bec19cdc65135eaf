{{
    config(
        unique_key=['account', 'date_day', 'channel'],
        meta={'partition_date_column': 'date_day'},
    )
}}

{#- sales: the day's sales (a sale as macros/touchline/sales.sql defines it:
    human, with an order id and a revenue, an order sent again counted once, on
    its first send) counted in the channel of the visitor's latest session that started the same day at or before the
    sale, so sales / sessions is the channel's conversion rate. A sale before
    the visitor's first session of its day counts in no channel. -#}

with

sessions as (

    select
        account,
        session_key,
        session_date,
        session_start_at,
        channel,
        visitor_id,
        pageviews
    from {{ ref('int_sessions') }}
    where {{ partition_filter('session_date') }}

),

sale_hits as (

    select account, hit_id, visitor_id, event_at, event_date, order_id
    from {{ ref('stg_hits__sales') }}
    where {{ partition_filter('event_date') }}
        and not coalesce(is_bot, false)
        and order_id is not null
        and revenue is not null

),

{{ order_first_sends('event_at') }},

sale_sessions as (

    select
        sessions.account,
        sessions.session_date,
        sessions.channel,
        row_number() over (
            partition by sales.account, sales.hit_id
            order by sessions.session_start_at desc, sessions.session_key desc
        ) as recency
    from sales
    inner join sessions
        on sessions.account = sales.account
        and sessions.visitor_id = sales.visitor_id
        and sessions.session_date = sales.event_date
        and sessions.session_start_at <= sales.event_at
    where sales.hit_number = 1

),

channel_sales as (

    select account, session_date as date_day, channel, count(*) as sales
    from sale_sessions
    where recency = 1
    group by account, session_date, channel

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
        {{ surrogate_key(['channel_daily.account', 'channel_daily.date_day', 'channel_daily.channel']) }}
            as channel_daily_key,
        channel_daily.account,
        channel_daily.date_day,
        channel_daily.channel,
        cast(channel_daily.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(channel_daily.visitors as {{ dbt.type_bigint() }}) as visitors,
        cast(channel_daily.pageviews as {{ dbt.type_bigint() }}) as pageviews,
        cast(coalesce(channel_sales.sales, 0) as {{ dbt.type_bigint() }}) as sales
    from channel_daily
    left join channel_sales
        on channel_sales.account = channel_daily.account
        and channel_sales.date_day = channel_daily.date_day
        and channel_sales.channel = channel_daily.channel

)

select * from final
