{{
    config(
        unique_key=['account', 'session_date', 'session_key'],
        meta={'partition_date_column': 'session_date'},
    )
}}

{#-
    Sessionisation (doc block "sessionisation"): a visitor's pageviews in time
    order; a session starts at the visitor's first pageview, at every pageview
    more than var('session_timeout_seconds') (1800) seconds after the previous
    one, and at every pageview that brings a new campaign (its utm source /
    medium / campaign or click id differ from the campaign last seen in the
    session). A session is never cut at midnight: it belongs to the local day
    (event_date, the account's time zone) it started on.

    A run builds the sessions that START on its days, so it reads the hits of
    one day more on each side: the day before decides whether the first
    pageview after midnight continues a session, the day after holds the rest
    of a session that crosses midnight.

    Each window pass reads the step before it exactly once (MariaDB
    materialises a CTE once per reference). A session's row is its first
    pageview's own row, carried through the window passes with its
    attributes: no join back by hit_id. Everything derived from the staged
    URLs (hosts) is computed in those materialised passes, once per row: on
    MariaDB a column of a merged CTE is an expression, and the seed joins
    below would evaluate it once per seed row.
-#}

with

pageviews as (

    select
        hit_id,
        account,
        visitor_id,
        event_date,
        event_at,
        {#- the campaign a pageview brings: its utm parameters and click ids -#}
        {%- set campaign_columns = ['utm_source', 'utm_medium', 'utm_campaign'] + touchline.click_id_names() %}
        case when {{ touchline.any_present(campaign_columns) }}
            then {{ surrogate_key(campaign_columns) }}
        end as campaign_key,
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
        {{ touchline.click_id_columns() }}
    from {{ ref('stg_hits__pageviews') }}
    where {{ partition_filter('event_date', days_before=1, days_after=1) }}

),

pageviews_in_order as (

    select
        pageviews.*,
        lag(event_at) over visitor_hits as previous_event_at,
        row_number() over visitor_hits as visitor_pageview_number,
        count(*) over (partition by account, visitor_id) as visitor_pageviews,
        max(event_at) over (partition by account, visitor_id) as visitor_last_event_at
    from pageviews
    window visitor_hits as (
        partition by account, visitor_id
        order by event_at, hit_id
    )

),

activity_periods as (

    -- periods without a gap longer than the timeout; campaigns split them further
    select
        pageviews_in_order.*,
        sum(is_period_start) over (
            partition by account, visitor_id
            order by visitor_pageview_number
            rows between unbounded preceding and current row
        ) as period_number
    from (
        select
            pageviews_in_order.*,
            case
                when previous_event_at is null
                    or {{ seconds_between('previous_event_at', 'event_at') }} > {{ var('session_timeout_seconds') }}
                    then 1
                else 0
            end as is_period_start
        from pageviews_in_order
    ) as pageviews_in_order

),

campaign_context as (

    -- the campaign last seen earlier in the period: the greatest
    -- "<zero-padded pageview number><campaign hash>" before this pageview
    select
        activity_periods.*,
        max(
            case when campaign_key is not null
                then {{ dbt.concat(["lpad(cast(visitor_pageview_number as " ~ varchar_type(20) ~ "), 12, '0')", 'campaign_key']) }}
            end
        ) over (
            partition by account, visitor_id, period_number
            order by visitor_pageview_number
            rows between unbounded preceding and 1 preceding
        ) as numbered_previous_campaign
    from activity_periods

),

session_starts as (

    -- a session's first pageview: its row carries the session's landing
    -- page, referrer and campaign
    select * from campaign_context
    where is_period_start = 1
        or (
            campaign_key is not null
            and (
                numbered_previous_campaign is null
                or substring(numbered_previous_campaign, 13) <> campaign_key
            )
        )

),

sessions as (

    select
        session_starts.*,
        -- a referrer on the landing page's own host is internal navigation
        case
            when referrer_host is not null and (page_host is null or referrer_host <> page_host)
                then referrer_host
        end as external_referrer_host,
        row_number() over (
            partition by account, visitor_id, event_date
            order by visitor_pageview_number
        ) as visitor_session_number,
        lead(visitor_pageview_number) over visitor_starts as next_start_pageview_number,
        lead(previous_event_at) over visitor_starts as next_start_previous_event_at
    from session_starts
    window visitor_starts as (
        partition by account, visitor_id
        order by visitor_pageview_number
    )

),

referrers as (

    select
        account,
        visitor_id,
        event_date as session_date,
        visitor_session_number,
        hit_id as first_hit_id,
        event_at as session_start_at,
        coalesce(next_start_previous_event_at, visitor_last_event_at) as session_end_at,
        coalesce(next_start_pageview_number, visitor_pageviews + 1)
            - visitor_pageview_number as pageviews,
        page_url,
        page_host,
        page_path,
        referrer_url,
        referrer_host,
        external_referrer_host,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_term,
        utm_content,
        {{ touchline.click_id_columns() }}
    from sessions
    -- only the sessions that start on this run's days
    where {{ partition_filter('event_date') }}

),

source_categories as (

    select source, source_category, search_engine from {{ ref('channel_source_categories') }}

),

referrer_categories as (

    select
        referrers.*,
        coalesce(referrer_exact.source_category, referrer_parent.source_category) as referrer_category,
        coalesce(referrer_exact.search_engine, referrer_parent.search_engine) as referrer_search_engine
    from referrers
    left join source_categories as referrer_exact
        on referrer_exact.source = referrers.external_referrer_host
    left join source_categories as referrer_parent
        on referrer_parent.source = {{ parent_domain('referrers.external_referrer_host') }}

),

acquisition as (

    select
        referrer_categories.*,
        {{ session_source() }} as source,
        {{ session_medium() }} as medium,
        {{ session_campaign() }} as campaign,
        {{ session_click_id() }} as click_id
    from referrer_categories

),

categorised as (

    select
        acquisition.*,
        coalesce(source_exact.source_category, source_parent.source_category) as source_category
    from acquisition
    left join source_categories as source_exact
        on source_exact.source = acquisition.source
    left join source_categories as source_parent
        on source_parent.source = {{ parent_domain('acquisition.source') }}

),

default_channels as (

    select
        categorised.*,
        {{ ga4_default_channel() }} as default_channel
    from categorised

),

{#- The fields an account's own channel rule can read, lower-case. -#}
{%- set rule_fields = {
    'source': 'source',
    'medium': 'medium',
    'campaign': 'lower(campaign)',
    'source_category': 'source_category',
    'default_channel': 'lower(default_channel)',
    'referrer_host': 'referrer_host',
    'landing_host': 'page_host',
    'landing_path': 'lower(page_path)',
    'term': 'lower(utm_term)',
    'content': 'lower(utm_content)',
    'click_id': 'click_id',
} %}

-- the account's own rules are read when the model runs (account_rules_case):
-- depends_on: {{ ref('stg_touchline__channel_rules') }}
channels as (

    select
        default_channels.*,
        {{ account_rules_case(rule_fields, 'channel', 'default_channel') }} as channel,
        {{ account_rules_case(rule_fields, 'position') }} as channel_rule_position
    from default_channels

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
        {{ touchline.click_id_columns() }},
        cast(source as {{ varchar_type(512) }}) as source,
        cast(medium as {{ varchar_type(512) }}) as medium,
        cast(campaign as {{ varchar_type(512) }}) as campaign,
        cast(source_category as {{ varchar_type(16) }}) as source_category,
        cast(click_id as {{ varchar_type(16) }}) as click_id,
        cast(default_channel as {{ varchar_type(64) }}) as default_channel,
        cast(channel as {{ varchar_type(64) }}) as channel,
        cast(channel_rule_position as {{ dbt.type_int() }}) as channel_rule_position
    from channels

)

select * from final
