{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account', 'session_date', 'session_key'],
        meta={'partition_date_column': 'session_date'},
        pre_hook="{{ delete_partition() }}",
        post_hook="{{ ensure_partition_index(['account', 'session_date', 'session_key']) }}",
        tags=['partitioned'],
    )
}}

{#-
    Sessionisation (doc block "sessionisation"): a visitor's pageviews of one
    UTC day, ordered by time; a session starts at the visitor's first pageview
    of the day and at every pageview more than var('session_timeout_seconds')
    (1800) seconds after the previous one.

    Two window passes over narrow rows (ids and times), each reading the step
    before it exactly once: MariaDB materialises a CTE once per reference, so
    a second reference would compute its windows again, and wide rows (TEXT
    columns) push its sorts to disk.
    1. All pageviews, one sort: the previous pageview's time, the pageview's
       number in the visitor's day, the day's pageview count and last time.
    2. Session starts only: the session's number and, from the next start,
       where the session ends. Its pageviews are the difference of the
       pageview numbers; its end is the time before the next start (or the
       day's last).
    The first pageview's attributes are then joined back by hit_id.
-#}

with

pageview_times as (

    select
        hit_id,
        account,
        visitor_id,
        event_date,
        event_at
    from {{ ref('stg_hits__pageviews') }}
    where {{ partition_filter('event_date') }}

),

pageviews as (

    select
        hit_id,
        account,
        event_date,
        page_url,
        page_host,
        page_path,
        referrer_url,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        msclkid,
        dclid,
        wbraid,
        gbraid,
        fbclid,
        ttclid,
        li_fat_id
    from {{ ref('stg_hits__pageviews') }}
    where {{ partition_filter('event_date') }}

),

pageviews_in_order as (

    select
        pageview_times.*,
        lag(event_at) over visitor_day as previous_event_at,
        row_number() over visitor_day as visitor_day_pageview_number,
        count(*) over (partition by account, visitor_id, event_date) as visitor_day_pageviews,
        max(event_at) over (partition by account, visitor_id, event_date) as visitor_day_last_event_at
    from pageview_times
    window visitor_day as (
        partition by account, visitor_id, event_date
        order by event_at, hit_id
    )

),

session_starts as (

    select * from pageviews_in_order
    where previous_event_at is null
        or {{ seconds_between('previous_event_at', 'event_at') }} > {{ var('session_timeout_seconds') }}

),

sessions as (

    select
        session_starts.*,
        row_number() over visitor_day_starts as visitor_session_number,
        lead(visitor_day_pageview_number) over visitor_day_starts as next_start_pageview_number,
        lead(previous_event_at) over visitor_day_starts as next_start_previous_event_at
    from session_starts
    window visitor_day_starts as (
        partition by account, visitor_id, event_date
        order by event_at, hit_id
    )

),

sessions_with_first_pageview as (

    select
        sessions.account,
        sessions.visitor_id,
        sessions.event_date as session_date,
        sessions.visitor_session_number,
        sessions.hit_id as first_hit_id,
        sessions.event_at as session_start_at,
        coalesce(sessions.next_start_previous_event_at, sessions.visitor_day_last_event_at)
            as session_end_at,
        coalesce(sessions.next_start_pageview_number, sessions.visitor_day_pageviews + 1)
            - sessions.visitor_day_pageview_number as pageviews,
        first_pageview.page_url,
        first_pageview.page_host,
        first_pageview.page_path,
        first_pageview.referrer_url,
        first_pageview.referrer_host,
        first_pageview.utm_source,
        first_pageview.utm_medium,
        first_pageview.utm_campaign,
        first_pageview.utm_term,
        first_pageview.utm_content,
        first_pageview.gclid,
        first_pageview.msclkid,
        first_pageview.dclid,
        first_pageview.wbraid,
        first_pageview.gbraid,
        first_pageview.fbclid,
        first_pageview.ttclid,
        first_pageview.li_fat_id
    from sessions
    inner join pageviews as first_pageview
        on sessions.hit_id = first_pageview.hit_id
        and sessions.account = first_pageview.account
        and sessions.event_date = first_pageview.event_date

),

final as (

    select
        {{ surrogate_key(['account', 'visitor_id', 'first_hit_id']) }} as session_key,
        account,
        visitor_id,
        session_date,
        cast(visitor_session_number as {{ dbt.type_int() }}) as visitor_session_number,
        first_hit_id,
        session_start_at,
        session_end_at,
        {{ seconds_between('session_start_at', 'session_end_at') }} as session_duration_seconds,
        cast(pageviews as {{ dbt.type_bigint() }}) as pageviews,
        page_url as landing_url,
        page_host as landing_host,
        page_path as landing_path,
        referrer_url,
        referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        gclid,
        msclkid,
        dclid,
        wbraid,
        gbraid,
        fbclid,
        ttclid,
        li_fat_id,
        cast({{ channel_grouping() }} as {{ varchar_type(64) }}) as channel
    from sessions_with_first_pageview

)

select * from final
