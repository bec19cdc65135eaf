{{
    config(
        unique_key=['account', 'touch_date', 'touch_key'],
        meta={'partition_date_column': 'touch_date', 'partition_index': ['account', 'touch_date', 'visitor_id']},
    )
}}

{#- Every touch a journey can hold: each session (its acquisition source, by
    the channel rules) and each ad impression the tag logged (counted in a
    journey only within the account's view-through window, see
    int_sale_journeys). Paid sessions carry the ad campaign they were
    matched to (int_paid_sessions__matched). -#}

with

sessions as (

    select * from {{ ref('int_sessions') }}
    where {{ partition_filter('session_date') }}

),

matched as (

    select account, session_date, session_key, platform, campaign_id
    from {{ ref('int_paid_sessions__matched') }}
    where {{ partition_filter('session_date') }}
        and match_rule <> 'unmatched'

),

impressions as (

    select hit_id, account, visitor_id, event_at, event_date, campaign
    from {{ ref('stg_hits__impressions') }}
    where {{ partition_filter('event_date') }}

),

session_touches as (

    select
        sessions.account,
        sessions.session_date as touch_date,
        sessions.session_key as touch_key,
        sessions.visitor_id,
        sessions.session_start_at as touch_at,
        'session' as touch_type,
        sessions.channel,
        sessions.default_channel,
        sessions.source,
        sessions.medium,
        sessions.campaign,
        matched.platform,
        matched.campaign_id
    from sessions
    left join matched
        on matched.account = sessions.account
        and matched.session_date = sessions.session_date
        and matched.session_key = sessions.session_key

),

impression_touches as (

    select
        account,
        event_date as touch_date,
        hit_id as touch_key,
        visitor_id,
        event_at as touch_at,
        'impression' as touch_type,
        'Display' as channel,
        'Display' as default_channel,
        '(impression)' as source,
        'impression' as medium,
        coalesce(campaign, '(not set)') as campaign,
        cast(null as {{ varchar_type(32) }}) as platform,
        cast(null as {{ varchar_type(64) }}) as campaign_id
    from impressions

),

unioned as (

    select * from session_touches
    union all
    select * from impression_touches

),

final as (

    select
        account,
        touch_date,
        cast(touch_key as {{ varchar_type(64) }}) as touch_key,
        visitor_id,
        touch_at,
        cast(touch_type as {{ varchar_type(16) }}) as touch_type,
        cast(channel as {{ varchar_type(64) }}) as channel,
        cast(default_channel as {{ varchar_type(64) }}) as default_channel,
        cast(source as {{ varchar_type(512) }}) as source,
        cast(medium as {{ varchar_type(512) }}) as medium,
        cast(campaign as {{ varchar_type(512) }}) as campaign,
        cast(platform as {{ varchar_type(32) }}) as platform,
        cast(campaign_id as {{ varchar_type(64) }}) as campaign_id
    from unioned

)

select * from final
