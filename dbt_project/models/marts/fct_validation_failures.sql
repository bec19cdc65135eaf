{{
    config(
        unique_key=['account', 'failure_date', 'failed_level', 'reason'],
        meta={'partition_date_column': 'failure_date', 'partition_index': ['account', 'failure_date']},
    )
}}

with

failures as (

    select
        account,
        event_date,
        event_at,
        failed_level,
        reason,
        page_host,
        browser,
        os,
        is_bot
    from {{ ref('stg_hits__validation_failures') }}
    where {{ partition_filter('event_date') }}

),

per_reason as (

    select
        account,
        event_date as failure_date,
        failed_level,
        reason,
        count(*) as failures,
        sum(case when is_bot then 1 else 0 end) as bot_failures,
        count(distinct page_host) as page_hosts,
        count(distinct browser) as browsers,
        min(event_at) as first_seen_at,
        max(event_at) as last_seen_at
    from failures
    group by account, event_date, failed_level, reason

),

final as (

    select
        {{ surrogate_key(['account', 'failure_date', 'failed_level', 'reason']) }} as validation_failure_key,
        account,
        failure_date,
        failed_level,
        reason,
        failures,
        bot_failures,
        page_hosts,
        browsers,
        first_seen_at,
        last_seen_at
    from per_reason

)

select * from final
