{{ config(tags=['partitioned'], meta={'dagster': {'ref': {'name': 'fct_attributed_conversions'}}}) }}

{#- Every restated sale is attributed under all eight models, and under each
    model its credits sum to one conversion and to its revenue. Rows
    returned are failures. -#}

with

credits as (

    select
        sale_key,
        model,
        sum(conversion_credit) as conversions,
        sum(revenue_credit) as revenue,
        max(sale_revenue) as sale_revenue
    from {{ ref('fct_attributed_conversions') }}
    where {{ restated_filter('sale_date') }}
    group by sale_key, model

),

models_per_sale as (

    select sale_key, count(*) as models
    from credits
    group by sale_key

)

select 'missing models' as problem, sale_key, models as value
from models_per_sale
where models <> {{ attribution_models() | length }}
union all
select 'conversions do not sum to 1', sale_key, conversions
from credits
where abs(conversions - 1) > 0.000000001
union all
select 'revenue does not sum to the sale', sale_key, revenue
from credits
where abs(revenue - sale_revenue) > 0.000001 * (1 + abs(sale_revenue))
