{{
    config(
        unique_key=['account', 'sale_date', 'sale_key', 'touch_position'],
        meta={'partition_date_column': 'sale_date', 'partition_index': ['account', 'sale_date', 'sale_key'], 'restated_by_month': true},
        pre_hook="{{ raise_group_concat_limit() }}",
    )
}}

{#- Sales journeys (doc block "sales_journeys"): for every sale, the person's
    touches within the account's lookback window before it, numbered, with
    the path they make and the six rule-based models' shares. Restated by
    whole months (doc block "attribution_restatement"): a run rebuilds the
    sales of the days attribution_restatements names, reading the touches of
    up to 91 days before them. -#}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

settings as (

    select account, reporting_currency, lookback_days, view_through_hours
    from {{ ref('stg_touchline__attribution_settings') }}
    where {{ account_filter() }}

),

people as (

    select account, visitor_id, person_id
    from {{ ref('stg_touchline__identity_map') }}
    where {{ account_filter() }}

),

rates as (

    select date_day, currency_code, rate from {{ source('ad_platforms', 'fx_rates') }}

),

sale_hits as (

    select
        account,
        hit_id,
        visitor_id,
        event_at as sale_at,
        event_date as sale_date,
        order_id,
        revenue,
        upper(currency) as currency
    from {{ ref('stg_hits__sales') }}
    where {{ restated_filter('event_date') }}
        and not coalesce(is_bot, false)
        and order_id is not null
        and revenue is not null

),

{{ order_first_sends('sale_at') }},

sale_people as (

    select
        {{ surrogate_key(['sales.account', 'sales.order_id']) }} as sale_key,
        sales.account,
        sales.hit_id as sale_hit_id,
        sales.visitor_id,
        sales.sale_at,
        sales.sale_date,
        sales.order_id,
        sales.revenue,
        sales.currency,
        coalesce(people.person_id, {{ dbt.concat(["'v:'", 'sales.visitor_id']) }}) as person_id,
        coalesce(settings.lookback_days, 30) as lookback_days,
        coalesce(settings.view_through_hours, 0) as view_through_hours,
        coalesce(settings.reporting_currency, sales.currency) as reporting_currency,
        case
            when sales.currency = coalesce(settings.reporting_currency, sales.currency) then 1.0
            else from_rate.rate / to_rate.rate
        end as fx_rate
    from sales
    left join people
        on people.account = sales.account
        and people.visitor_id = sales.visitor_id
    left join settings
        on settings.account = sales.account
    left join rates as from_rate
        on from_rate.date_day = sales.sale_date
        and from_rate.currency_code = sales.currency
    left join rates as to_rate
        on to_rate.date_day = sales.sale_date
        and to_rate.currency_code = settings.reporting_currency
    where sales.hit_number = 1

),

touches as (

    select
        touchpoints.*,
        coalesce(people.person_id, {{ dbt.concat(["'v:'", 'touchpoints.visitor_id']) }}) as person_id
    from {{ ref('int_touchpoints') }} as touchpoints
    {%- if _partitioned_run() %}
    inner join {{ ref('stg_touchline__attribution_restatements') }} as restated
        on restated.account = touchpoints.account
        and touchpoints.touch_date between {{ add_days('restated.restate_start', -91) }} and restated.restate_end
    {%- endif %}
    left join people
        on people.account = touchpoints.account
        and people.visitor_id = touchpoints.visitor_id
    where {{ account_filter('touchpoints.account') }}

),

sale_touches as (

    -- a sale without any touch keeps one row (the touch columns NULL)
    select
        sale_people.*,
        touches.touch_key,
        touches.touch_type,
        touches.touch_at,
        touches.touch_date,
        touches.visitor_id as touch_visitor_id,
        touches.channel,
        touches.default_channel,
        touches.source,
        touches.medium,
        touches.campaign,
        touches.platform,
        touches.campaign_id
    from sale_people
    left join touches
        on touches.account = sale_people.account
        and touches.person_id = sale_people.person_id
        and touches.touch_at <= sale_people.sale_at
        and {{ seconds_between('touches.touch_at', 'sale_people.sale_at') }}
            <= sale_people.lookback_days * 86400
        and (
            touches.touch_type = 'session'
            or {{ seconds_between('touches.touch_at', 'sale_people.sale_at') }}
                <= sale_people.view_through_hours * 3600
        )

),

filled as (

    -- a sale without a touch is attributed to Direct, as an analytics tool would
    select
        sale_key, account, sale_hit_id, visitor_id, sale_at, sale_date, order_id, revenue,
        currency, person_id, reporting_currency, fx_rate,
        coalesce(touch_key, {{ dbt.concat(["'none:'", 'sale_key']) }}) as touch_key,
        coalesce(touch_type, 'none') as touch_type,
        coalesce(touch_at, sale_at) as touch_at,
        coalesce(touch_date, sale_date) as touch_date,
        coalesce(touch_visitor_id, visitor_id) as touch_visitor_id,
        coalesce(channel, 'Direct') as channel,
        coalesce(default_channel, 'Direct') as default_channel,
        coalesce(source, '(direct)') as source,
        coalesce(medium, '(none)') as medium,
        coalesce(campaign, '(direct)') as campaign,
        platform,
        campaign_id
    from sale_touches

),

numbered as (

    select
        filled.*,
        {{ seconds_between('touch_at', 'sale_at') }} / 3600 as hours_before_sale,
        row_number() over (
            partition by account, sale_key order by touch_at, touch_key
        ) as touch_position,
        count(*) over (partition by account, sale_key) as touch_count
    from filled

),

paths as (

    select
        account,
        sale_key,
        {{ dbt.listagg('channel', "' > '", 'order by touch_position') }} as path
    from numbered
    group by account, sale_key

),

weighted as (

    select
        numbered.*,
        max(case when not {{ is_direct('channel') }} then touch_position end) over (
            partition by account, sale_key
        ) as last_non_direct_position,
        -- time decay: weight 2^(-hours / 168), a half-life of 7 days
        power(cast(2 as {{ double_type() }}), -hours_before_sale / 168) as decay_weight
    from numbered

),

final as (

    select
        {{ surrogate_key(['weighted.account', 'weighted.sale_key', 'weighted.touch_position']) }}
            as sale_touch_key,
        weighted.account,
        weighted.sale_date,
        {{ month_start('weighted.sale_date') }} as period_start,
        weighted.sale_key,
        weighted.order_id,
        weighted.sale_hit_id,
        weighted.sale_at,
        weighted.person_id,
        weighted.visitor_id,
        cast(weighted.touch_position as {{ dbt.type_int() }}) as touch_position,
        cast(weighted.touch_count as {{ dbt.type_int() }}) as touch_count,
        weighted.touch_key,
        cast(weighted.touch_type as {{ varchar_type(16) }}) as touch_type,
        weighted.touch_at,
        weighted.touch_date,
        weighted.touch_visitor_id,
        cast(weighted.hours_before_sale as {{ double_type() }}) as hours_before_sale,
        cast(weighted.channel as {{ varchar_type(64) }}) as channel,
        cast(weighted.default_channel as {{ varchar_type(64) }}) as default_channel,
        cast(weighted.source as {{ varchar_type(512) }}) as source,
        cast(weighted.medium as {{ varchar_type(512) }}) as medium,
        cast(weighted.campaign as {{ varchar_type(512) }}) as campaign,
        cast(weighted.platform as {{ varchar_type(32) }}) as platform,
        cast(weighted.campaign_id as {{ varchar_type(64) }}) as campaign_id,
        paths.path,
        {{ dbt.hash('paths.path') }} as path_key,
        cast(weighted.revenue as decimal(18, 6)) as revenue,
        cast(weighted.currency as {{ varchar_type(3) }}) as currency,
        cast(weighted.reporting_currency as {{ varchar_type(3) }}) as reporting_currency,
        cast(weighted.fx_rate as decimal(20, 10)) as fx_rate,
        cast(round(weighted.revenue * weighted.fx_rate, 6) as decimal(18, 6)) as revenue_reporting,
        cast(case
            when weighted.currency = weighted.reporting_currency then 'same_currency'
            when weighted.fx_rate is null then 'missing_rate'
            else 'converted'
        end as {{ varchar_type(16) }}) as fx_status,
        cast(case when weighted.touch_position = 1 then 1 else 0 end as {{ double_type() }})
            as first_touch_share,
        cast(case when weighted.touch_position = weighted.touch_count then 1 else 0 end
            as {{ double_type() }}) as last_touch_share,
        cast(case
            when weighted.touch_position = coalesce(weighted.last_non_direct_position, weighted.touch_count)
                then 1 else 0
        end as {{ double_type() }}) as last_non_direct_share,
        cast(1 as {{ double_type() }}) / weighted.touch_count as linear_share,
        cast(case
            when weighted.touch_count = 1 then 1
            when weighted.touch_count = 2 then 0.5
            when weighted.touch_position = 1 or weighted.touch_position = weighted.touch_count then 0.4
            -- in doubles: MySQL's DECIMAL division keeps 4 more digits only
            else cast(0.2 as {{ double_type() }}) / (weighted.touch_count - 2)
        end as {{ double_type() }}) as position_based_share,
        cast(
            weighted.decay_weight / sum(weighted.decay_weight) over (
                partition by weighted.account, weighted.sale_key
            ) as {{ double_type() }}
        ) as time_decay_share
    from weighted
    inner join paths
        on paths.account = weighted.account
        and paths.sale_key = weighted.sale_key

)

select * from final
