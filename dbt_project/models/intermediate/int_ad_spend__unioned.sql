{{
    config(
        unique_key=['account', 'date_day', 'platform', 'account_id', 'campaign_id'],
        meta={'partition_date_column': 'date_day', 'partition_index': ['account', 'date_day', 'platform']},
    )
}}

{#- Every platform's campaign-days in one relation, for the run's partition. -#}

with

{% for platform in ad_platforms() %}
{{ platform }} as (

    select * from {{ ref('stg_' ~ platform ~ '__campaign_daily') }}
    where {{ partition_filter('date_day') }}

),
{% endfor %}

unioned as (

{% for platform in ad_platforms() %}
    select
        account, date_day, platform, account_id, campaign_id, campaign_name,
        impressions, clicks, spend, conversions, conversions_value,
        currency_code, account_currency
    from {{ platform }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}

)

select * from unioned
