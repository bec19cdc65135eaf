{{ config(tags=['partitioned', 'reconciliation'], meta={'dagster': {'ref': {'name': 'fct_channel_daily'}}}) }}

-- Hits in = rows out: the channel table holds exactly the sessions, and
-- every day with pageviews has sessions. Returns the account/days where a
-- count differs. (A session that crosses midnight counts its pageviews on
-- the day it started, so a day's pageviews and its sessions' pageviews may
-- differ by the sessions at its edges; the simulator's end-to-end tests
-- check every pageview is in exactly one session.)

with

pageviews as (

    select account, event_date as date_day, count(*) as pageviews
    from {{ ref('stg_hits__pageviews') }}
    where {{ partition_filter('event_date') }}
    group by account, event_date

),

sessions as (

    select account, session_date as date_day, count(*) as sessions, sum(pageviews) as pageviews
    from {{ ref('int_sessions') }}
    where {{ partition_filter('session_date') }}
    group by account, session_date

),

channel_daily as (

    select account, date_day, sum(sessions) as sessions, sum(pageviews) as pageviews
    from {{ ref('fct_channel_daily') }}
    where {{ partition_filter('date_day') }}
    group by account, date_day

),

account_days as (

    select account, date_day from pageviews
    union
    select account, date_day from sessions
    union
    select account, date_day from channel_daily

)

select
    account_days.account,
    account_days.date_day,
    pageviews.pageviews as hit_pageviews,
    sessions.pageviews as session_pageviews,
    sessions.sessions as sessions,
    channel_daily.sessions as channel_sessions,
    channel_daily.pageviews as channel_pageviews
from account_days
left join pageviews
    on account_days.account = pageviews.account and account_days.date_day = pageviews.date_day
left join sessions
    on account_days.account = sessions.account and account_days.date_day = sessions.date_day
left join channel_daily
    on account_days.account = channel_daily.account and account_days.date_day = channel_daily.date_day
where (pageviews.pageviews is not null and sessions.sessions is null)
    or sessions.pageviews is null
    or channel_daily.pageviews is null
    or sessions.pageviews <> channel_daily.pageviews
    or sessions.sessions <> channel_daily.sessions
