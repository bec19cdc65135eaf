{{
    config(
        unique_key=['account', 'period_start', 'path_key'],
        meta={'partition_date_column': 'period_start', 'restated_by_month': true},
        pre_hook="{{ raise_group_concat_limit() }}",
    )
}}

{#- What the data-driven models are fitted on (doc block "model_fit"): per
    account and month with sales, the distinct paths of the journeys of its
    fit window with how often each ended in a sale (and the revenue) or in
    nothing. A converting journey is a sale's journey (int_sale_journeys); a
    non-converting journey is, per person, the window's touches that are in
    no converting journey of the window. -#}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

settings as (

    select account, fit_days, view_through_hours
    from {{ ref('stg_touchline__attribution_settings') }}
    where {{ account_filter() }}

),

people as (

    select account, visitor_id, person_id
    from {{ ref('stg_touchline__identity_map') }}
    where {{ account_filter() }}

),

periods as (

    select distinct account, period_start
    from {{ ref('int_sale_journeys') }}
    where {{ restated_filter('sale_date') }}

),

windows as (

    select
        periods.account,
        periods.period_start,
        {{ month_end('periods.period_start') }} as period_end,
        -- the fit_days up to the month's last day, and at least the whole month
        least(
            periods.period_start,
            {{ add_days(month_end('periods.period_start'), '1 - coalesce(settings.fit_days, 90)') }}
        ) as fit_start,
        coalesce(settings.view_through_hours, 0) as view_through_hours
    from periods
    left join settings
        on settings.account = periods.account

),

window_sale_touches as (

    select
        windows.account,
        windows.period_start,
        journeys.sale_key,
        journeys.touch_position,
        journeys.touch_key,
        journeys.path,
        journeys.path_key,
        journeys.revenue_reporting
    from windows
    inner join {{ ref('int_sale_journeys') }} as journeys
        on journeys.account = windows.account
        and journeys.sale_date between windows.fit_start and windows.period_end

),

converting as (

    select
        account,
        period_start,
        path_key,
        path,
        1 as conversions,
        coalesce(revenue_reporting, 0) as conversion_value,
        0 as nulls
    from window_sale_touches
    where touch_position = 1

),

window_touches as (

    select
        windows.account,
        windows.period_start,
        touchpoints.touch_key,
        touchpoints.touch_at,
        touchpoints.channel,
        coalesce(people.person_id, {{ dbt.concat(["'v:'", 'touchpoints.visitor_id']) }}) as person_id
    from windows
    inner join {{ ref('int_touchpoints') }} as touchpoints
        on touchpoints.account = windows.account
        and touchpoints.touch_date between windows.fit_start and windows.period_end
    left join people
        on people.account = touchpoints.account
        and people.visitor_id = touchpoints.visitor_id
    -- impressions are touches only where the account counts them (view-through)
    where touchpoints.touch_type = 'session' or windows.view_through_hours > 0

),

unconverted as (

    select window_touches.*
    from window_touches
    left join (
        select distinct account, period_start, touch_key from window_sale_touches
    ) as converted
        on converted.account = window_touches.account
        and converted.period_start = window_touches.period_start
        and converted.touch_key = window_touches.touch_key
    where converted.touch_key is null

),

non_converting as (

    select
        account,
        period_start,
        person_id,
        {{ dbt.listagg('channel', "' > '", 'order by touch_at, touch_key') }} as path
    from unconverted
    group by account, period_start, person_id

),

all_paths as (

    select account, period_start, path_key, path, conversions, conversion_value, nulls
    from converting
    union all
    select
        account,
        period_start,
        {{ dbt.hash('path') }} as path_key,
        path,
        0 as conversions,
        0 as conversion_value,
        1 as nulls
    from non_converting

),

final as (

    select
        all_paths.account,
        all_paths.period_start,
        windows.period_end,
        windows.fit_start,
        all_paths.path_key,
        max(all_paths.path) as path,
        cast(sum(all_paths.conversions) as {{ dbt.type_bigint() }}) as conversions,
        cast(sum(all_paths.conversion_value) as decimal(18, 6)) as conversion_value,
        cast(sum(all_paths.nulls) as {{ dbt.type_bigint() }}) as nulls
    from all_paths
    inner join windows
        on windows.account = all_paths.account
        and windows.period_start = all_paths.period_start
    group by
        all_paths.account, all_paths.period_start, windows.period_end, windows.fit_start,
        all_paths.path_key

)

select * from final
