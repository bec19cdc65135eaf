{{
    config(
        unique_key=['account', 'date_day', 'platform', 'campaign_id', 'model'],
        meta={'partition_date_column': 'date_day', 'partition_index': ['account', 'date_day', 'model'], 'restated_by_month': true, 'report_index': ['account', 'model', 'date_day', 'platform', 'campaign_id', 'conversions', 'revenue', 'spend']},
    )
}}

{#- Ad campaigns per day and model: the conversions and revenue attributed to
    the campaign's touches (sales of that day), its spend that day in the
    account's currency (fct_campaign_daily, all ad accounts of the platform),
    ROAS = revenue / spend and CPA = spend / conversions. No spend (or only
    spend without an fx rate) gives no ROAS; no conversions give no CPA. A
    campaign with spend but no attributed sale has a row per model with 0
    conversions; one with sales but no spend row has spend NULL. -#}

-- depends_on: {{ ref('stg_touchline__attribution_restatements') }}

with

attributed as (

    select
        account,
        sale_date as date_day,
        model,
        platform,
        campaign_id,
        max(campaign) as campaign,
        sum(conversion_credit) as conversions,
        sum(revenue_credit) as revenue
    from {{ ref('fct_attributed_conversions') }}
    where {{ restated_filter('sale_date') }}
        and platform is not null
        and campaign_id is not null
    group by account, sale_date, model, platform, campaign_id

),

spend as (

    select
        account,
        date_day,
        platform,
        campaign_id,
        max(campaign_name) as campaign_name,
        sum(spend_reporting) as spend,
        max(reporting_currency) as reporting_currency,
        sum(case when fx_status = 'missing_rate' then 1 else 0 end) as rows_without_rate
    from {{ ref('fct_campaign_daily') }}
    where {{ restated_filter('date_day') }}
    group by account, date_day, platform, campaign_id

),

models as (

    {{ attribution_model_rows() }}

),

campaign_models as (

    select account, date_day, platform, campaign_id, model from attributed
    union
    select spend.account, spend.date_day, spend.platform, spend.campaign_id, models.model
    from spend
    cross join models

),

final as (

    select
        {{ surrogate_key(['campaign_models.account', 'campaign_models.date_day', 'campaign_models.platform', 'campaign_models.campaign_id', 'campaign_models.model']) }}
            as attribution_campaign_daily_key,
        campaign_models.account,
        campaign_models.date_day,
        cast(campaign_models.platform as {{ varchar_type(32) }}) as platform,
        cast(campaign_models.campaign_id as {{ varchar_type(64) }}) as campaign_id,
        cast(coalesce(spend.campaign_name, attributed.campaign) as {{ varchar_type(512) }})
            as campaign_name,
        cast(campaign_models.model as {{ varchar_type(16) }}) as model,
        cast(coalesce(attributed.conversions, 0) as {{ double_type() }}) as conversions,
        cast(coalesce(attributed.revenue, 0) as {{ double_type() }}) as revenue,
        cast(spend.spend as {{ double_type() }}) as spend,
        cast(case
            when spend.spend > 0 then coalesce(attributed.revenue, 0) / spend.spend
        end as {{ double_type() }}) as roas,
        cast(case
            when coalesce(attributed.conversions, 0) > 0 and spend.spend is not null
                then spend.spend / attributed.conversions
        end as {{ double_type() }}) as cpa,
        cast(spend.reporting_currency as {{ varchar_type(3) }}) as reporting_currency,
        cast(coalesce(spend.rows_without_rate, 0) as {{ dbt.type_int() }}) as spend_rows_without_rate
    from campaign_models
    left join attributed
        on attributed.account = campaign_models.account
        and attributed.date_day = campaign_models.date_day
        and attributed.platform = campaign_models.platform
        and attributed.campaign_id = campaign_models.campaign_id
        and attributed.model = campaign_models.model
    left join spend
        on spend.account = campaign_models.account
        and spend.date_day = campaign_models.date_day
        and spend.platform = campaign_models.platform
        and spend.campaign_id = campaign_models.campaign_id

)

select * from final
