{{
    config(
        materialized='view',
    )
}}

{#- Identify traits are partial updates: a later identify sets the traits it
    mentions and leaves the others alone. Per account, user and trait key the
    latest value wins (event time, then receipt, then hit id); the merged
    object is rebuilt from those. A view, so it is always current: users span
    every partition. -#}

with

identifies as (

    select
        account,
        user_id,
        hit_id,
        event_at,
        received_at,
        traits_json
    from {{ ref('stg_hits__identifies') }}
    where user_id is not null

),

trait_values as (

    select
        identifies.account,
        identifies.user_id,
        identifies.hit_id,
        identifies.event_at,
        identifies.received_at,
        {{ json_entry_key() }} as trait_key,
        {{ json_entry_value('identifies', 'traits_json') }} as trait_value
    from identifies
    {{ json_entries_join('identifies', 'traits_json') }}
    where identifies.traits_json is not null

),

latest_values as (

    select
        account,
        user_id,
        trait_key,
        trait_value,
        row_number() over (
            partition by account, user_id, trait_key
            order by event_at desc, received_at desc, hit_id desc
        ) as recency
    from trait_values

),

merged_traits as (

    select
        account,
        user_id,
        {{ json_object_agg('trait_key', 'trait_value') }} as traits_json,
        count(*) as trait_count
    from latest_values
    where recency = 1
    group by account, user_id

),

users as (

    select
        account,
        user_id,
        count(*) as identifies,
        min(event_at) as first_identified_at,
        max(event_at) as last_identified_at
    from identifies
    group by account, user_id

),

final as (

    select
        {{ surrogate_key(['users.account', 'users.user_id']) }} as user_key,
        users.account,
        users.user_id,
        coalesce(merged_traits.traits_json, '{}') as traits_json,
        coalesce(merged_traits.trait_count, 0) as trait_count,
        users.identifies,
        users.first_identified_at,
        users.last_identified_at
    from users
    left join merged_traits
        on users.account = merged_traits.account
        and users.user_id = merged_traits.user_id

)

select * from final
