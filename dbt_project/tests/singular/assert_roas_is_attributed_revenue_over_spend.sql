{{ config(tags=['partitioned'], meta={'dagster': {'ref': {'name': 'fct_attribution_campaign_daily'}}}) }}

{#- ROAS in fct_attribution_campaign_daily equals the revenue attributed to
    the campaign's touches (fct_attributed_conversions) divided by its spend
    (fct_campaign_daily) for the same account, day, platform, campaign and
    model; no spend means no ROAS. Rows returned are failures. -#}

with

mart as (

    select * from {{ ref('fct_attribution_campaign_daily') }}
    where {{ restated_filter('date_day') }}

),

attributed as (

    select account, sale_date as date_day, platform, campaign_id, model,
        sum(revenue_credit) as revenue, sum(conversion_credit) as conversions
    from {{ ref('fct_attributed_conversions') }}
    where platform is not null and campaign_id is not null
    group by account, sale_date, platform, campaign_id, model

),

spend as (

    select account, date_day, platform, campaign_id, sum(spend_reporting) as spend
    from {{ ref('fct_campaign_daily') }}
    group by account, date_day, platform, campaign_id

),

compared as (

    select
        mart.account, mart.date_day, mart.platform, mart.campaign_id, mart.model,
        mart.roas, mart.cpa, mart.spend as mart_spend,
        coalesce(attributed.revenue, 0) as revenue,
        coalesce(attributed.conversions, 0) as conversions,
        spend.spend
    from mart
    left join attributed
        on attributed.account = mart.account and attributed.date_day = mart.date_day
        and attributed.platform = mart.platform and attributed.campaign_id = mart.campaign_id
        and attributed.model = mart.model
    left join spend
        on spend.account = mart.account and spend.date_day = mart.date_day
        and spend.platform = mart.platform and spend.campaign_id = mart.campaign_id

)

select * from compared
where (spend > 0 and (roas is null or abs(roas - revenue / spend) > 0.000001 * (1 + revenue / spend)))
    or ((spend is null or spend = 0) and roas is not null)
    or (spend is not null and abs(mart_spend - spend) > 0.000001)
    or (conversions > 0 and spend is not null and abs(cpa - spend / conversions) > 0.000001 * (1 + spend / conversions))
