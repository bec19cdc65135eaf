{{
    config(
        unique_key=['account', 'session_date', 'session_key'],
        meta={'partition_date_column': 'session_date'},
    )
}}

{#- Paid sessions matched to the ad platform campaign that bought them
    (doc block "paid_session_matching"); the first rule that matches wins. -#}

with

sessions as (

    select
        account,
        session_date,
        session_key,
        channel,
        utm_campaign,
        gclid,
        {{ session_ad_platform() }} as session_platform
    from {{ ref('int_sessions') }}
    where {{ partition_filter('session_date') }}
        -- the default channel: an account's own rule may rename a paid channel;
        -- and a campaign of a platform named by its click id (fbclid) or utm_source
        and (
            default_channel in {{ _sql_list(paid_channels()) }}
            or ({{ session_ad_platform() }} is not null and utm_campaign is not null)
        )

),

clicks as (

    select account, gclid, min(campaign_id) as campaign_id
    from {{ ref('stg_google_ads__click_view') }}
    group by account, gclid

),

campaigns as (

    select account, platform, campaign_id, max(campaign_name) as campaign_name
    from {{ ref('int_ad_spend__unioned') }}
    group by account, platform, campaign_id

),

by_gclid as (

    select
        sessions.account, sessions.session_key, 1 as rule_rank,
        'google_ads' as platform, clicks.campaign_id
    from sessions
    inner join clicks
        on clicks.account = sessions.account and clicks.gclid = sessions.gclid

),

by_campaign_id as (

    select
        sessions.account, sessions.session_key, 2 as rule_rank,
        campaigns.platform, campaigns.campaign_id
    from sessions
    inner join campaigns
        on campaigns.account = sessions.account
        and campaigns.campaign_id = sessions.utm_campaign
        and (sessions.session_platform is null or campaigns.platform = sessions.session_platform)

),

by_campaign_name as (

    select
        sessions.account, sessions.session_key, 3 as rule_rank,
        campaigns.platform, campaigns.campaign_id
    from sessions
    inner join campaigns
        on campaigns.account = sessions.account
        and lower(campaigns.campaign_name) = lower(sessions.utm_campaign)
        and (sessions.session_platform is null or campaigns.platform = sessions.session_platform)

),

candidates as (

    select * from by_gclid
    union all
    select * from by_campaign_id
    union all
    select * from by_campaign_name

),

ranked as (

    select
        account,
        session_key,
        rule_rank,
        platform,
        campaign_id,
        row_number() over (
            partition by account, session_key
            order by rule_rank, platform, campaign_id
        ) as preference
    from candidates

),

final as (

    select
        sessions.account,
        sessions.session_date,
        sessions.session_key,
        sessions.channel,
        cast(sessions.session_platform as {{ touchline.varchar_type(32) }}) as session_platform,
        cast(case ranked.rule_rank
            when 1 then 'gclid_click_view'
            when 2 then 'campaign_id'
            when 3 then 'campaign_name'
            else 'unmatched'
        end as {{ touchline.varchar_type(16) }}) as match_rule,
        cast(ranked.platform as {{ touchline.varchar_type(32) }}) as platform,
        cast(ranked.campaign_id as {{ touchline.varchar_type(64) }}) as campaign_id
    from sessions
    left join ranked
        on ranked.account = sessions.account
        and ranked.session_key = sessions.session_key
        and ranked.preference = 1

)

select * from final
