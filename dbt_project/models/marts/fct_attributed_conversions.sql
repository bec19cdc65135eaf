{{
    config(
        unique_key=['account', 'sale_date', 'sale_key', 'touch_position', 'model'],
        meta={'partition_date_column': 'sale_date', 'partition_index': ['account', 'sale_date', 'model'], 'restated_by_month': true},
    )
}}

{#- Every sale, every touch of its journey, every model: the touch's share of
    the sale (conversion_credit) and of its revenue (revenue_credit). The
    rule-based shares come from int_sale_journeys, the data-driven ones
    (markov, shapley) from the fitted path credits, joined by the month's
    fit, the path and the touch's position. -#}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

journeys as (

    select * from {{ ref('int_sale_journeys') }}
    where {{ restated_filter('sale_date') }}

),

credits as (

    select account, period_start, model, path_key, touch_position, conversion_share, value_share
    from {{ ref('stg_touchline__path_credits') }}
    where {{ account_filter() }}

),

rule_based_models as (

    {%- for model in rule_based_models() %}
    select cast('{{ model }}' as {{ varchar_type(16) }}) as model{{ " union all" if not loop.last }}
    {%- endfor %}

),

rule_based as (

    select
        journeys.*,
        rule_based_models.model,
        case rule_based_models.model
            {%- for model in rule_based_models() %}
            when '{{ model }}' then journeys.{{ model }}_share
            {%- endfor %}
        end as conversion_share,
        case rule_based_models.model
            {%- for model in rule_based_models() %}
            when '{{ model }}' then journeys.{{ model }}_share
            {%- endfor %}
        end as value_share
    from journeys
    cross join rule_based_models

),

data_driven as (

    select
        journeys.*,
        credits.model,
        credits.conversion_share,
        credits.value_share
    from journeys
    inner join credits
        on credits.account = journeys.account
        and credits.period_start = journeys.period_start
        and credits.path_key = journeys.path_key
        and credits.touch_position = journeys.touch_position

),

unioned as (

    {%- set columns = ['account', 'sale_date', 'period_start', 'sale_key', 'order_id', 'sale_at', 'person_id', 'touch_position', 'touch_count', 'touch_key', 'touch_type', 'touch_at', 'touch_date', 'hours_before_sale', 'channel', 'source', 'medium', 'campaign', 'platform', 'campaign_id', 'path_key', 'revenue_reporting', 'reporting_currency', 'model', 'conversion_share', 'value_share'] %}
    select {{ columns | join(', ') }} from rule_based
    union all
    select {{ columns | join(', ') }} from data_driven

),

final as (

    select
        {{ surrogate_key(['account', 'sale_key', 'touch_position', 'model']) }}
            as attributed_conversion_key,
        account,
        sale_date,
        period_start,
        sale_key,
        order_id,
        sale_at,
        person_id,
        cast(model as {{ varchar_type(16) }}) as model,
        touch_position,
        touch_count,
        touch_key,
        touch_type,
        touch_at,
        touch_date,
        hours_before_sale,
        channel,
        source,
        medium,
        campaign,
        platform,
        campaign_id,
        path_key,
        cast(conversion_share as {{ double_type() }}) as conversion_credit,
        cast(value_share * revenue_reporting as {{ double_type() }}) as revenue_credit,
        revenue_reporting as sale_revenue,
        reporting_currency
    from unioned

)

select * from final
