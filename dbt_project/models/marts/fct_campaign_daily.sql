{{
    config(
        unique_key=['account', 'date_day', 'platform', 'account_id', 'campaign_id'],
        meta={'partition_date_column': 'date_day', 'partition_index': ['account', 'date_day', 'platform'], 'report_index': ['account', 'date_day', 'platform', 'campaign_id', 'impressions', 'clicks', 'spend_reporting', 'conversions', 'conversions_value_reporting']},
    )
}}

{#- Campaign-days with spend and value converted to the Touchline account's
    currency. A row in another currency without both rates of its day is kept,
    with null converted amounts and fx_status = 'missing_rate': it is never
    summed as if it were in the account's currency. -#}

with

spend as (

    select * from {{ ref('int_ad_spend__unioned') }}
    where {{ partition_filter('date_day') }}

),

rates as (

    select date_day, currency_code, rate from {{ source('ad_platforms', 'fx_rates') }}

),

with_rates as (

    select
        spend.*,
        case
            when spend.currency_code = spend.account_currency then cast(1 as decimal(20, 10))
            else from_rate.rate / to_rate.rate
        end as fx_rate
    from spend
    left join rates as from_rate
        on from_rate.date_day = spend.date_day
        and from_rate.currency_code = spend.currency_code
    left join rates as to_rate
        on to_rate.date_day = spend.date_day
        and to_rate.currency_code = spend.account_currency

),

final as (

    select
        {{ surrogate_key(['account', 'date_day', 'platform', 'account_id', 'campaign_id']) }}
            as campaign_daily_key,
        account,
        date_day,
        platform,
        account_id,
        campaign_id,
        campaign_name,
        impressions,
        clicks,
        spend,
        conversions,
        conversions_value,
        currency_code,
        account_currency as reporting_currency,
        cast(fx_rate as decimal(20, 10)) as fx_rate,
        cast(round(spend * fx_rate, 6) as decimal(18, 6)) as spend_reporting,
        cast(round(conversions_value * fx_rate, 6) as decimal(18, 6)) as conversions_value_reporting,
        cast(case
            when currency_code = account_currency then 'same_currency'
            when fx_rate is null then 'missing_rate'
            else 'converted'
        end as {{ touchline.varchar_type(16) }}) as fx_status
    from with_rates

)

select * from final
