{#- on-run-start: the ad platforms' raw tables and fx_rates exist before any
    model reads them, so the staging views build on a fresh warehouse and a
    platform nobody connected yet reads as empty. The tables are declared in
    touchline/tables.py; tests/touchline/test_tables.py holds these DDL macros
    equal to it on both warehouses. -#}

{#- The ad platforms: var('ad_platforms') in dbt_project.yml, which
    tests/dbt_project/test_platform_list.py holds equal to
    touchline.platforms.PLATFORMS. -#}
{% macro ad_platforms() -%}
    {{ return(var('ad_platforms')) }}
{%- endmacro %}

{% macro ensure_ad_platform_raw_tables() -%}
    {%- if execute -%}
        {%- for platform in touchline.ad_platforms() -%}
            {%- do run_query(adapter.dispatch('ad_raw_table_ddl', 'touchline')('raw_' ~ platform ~ '__campaign_daily')) -%}
        {%- endfor -%}
        {%- do run_query(adapter.dispatch('click_view_ddl', 'touchline')()) -%}
        {%- do run_query(adapter.dispatch('fx_rates_ddl', 'touchline')()) -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro default__ad_raw_table_ddl(table) -%}
    create table if not exists {{ target.schema }}.{{ table }} (
        account varchar, date_day date, platform varchar, account_id varchar,
        campaign_id varchar, campaign_name varchar, impressions bigint, clicks bigint,
        spend decimal(18,6), conversions decimal(18,6), conversions_value decimal(18,6),
        currency_code varchar, account_currency varchar, loaded_at timestamp
    )
{%- endmacro %}

{% macro mysql__ad_raw_table_ddl(table) -%}
    create table if not exists {{ target.schema }}.{{ table }} (
        account varchar(64), date_day date, platform varchar(32), account_id varchar(64),
        campaign_id varchar(64), campaign_name varchar(512), impressions bigint, clicks bigint,
        spend decimal(18,6), conversions decimal(18,6), conversions_value decimal(18,6),
        currency_code char(3), account_currency char(3), loaded_at datetime(6),
        key ix_{{ table }}_partition (account, date_day)
    ) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin
{%- endmacro %}

{% macro mariadb__ad_raw_table_ddl(table) -%}
    {{ return(touchline.mysql__ad_raw_table_ddl(table)) }}
{%- endmacro %}

{% macro default__click_view_ddl() -%}
    create table if not exists {{ target.schema }}.raw_google_ads__click_view (
        account varchar, date_day date, account_id varchar, gclid varchar,
        campaign_id varchar, ad_group_id varchar, loaded_at timestamp
    )
{%- endmacro %}

{% macro mysql__click_view_ddl() -%}
    create table if not exists {{ target.schema }}.raw_google_ads__click_view (
        account varchar(64), date_day date, account_id varchar(64), gclid varchar(128),
        campaign_id varchar(64), ad_group_id varchar(64), loaded_at datetime(6),
        key ix_raw_google_ads__click_view_gclid (account, gclid),
        key ix_raw_google_ads__click_view_partition (account, date_day)
    ) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin
{%- endmacro %}

{% macro mariadb__click_view_ddl() -%}
    {{ return(touchline.mysql__click_view_ddl()) }}
{%- endmacro %}

{% macro default__fx_rates_ddl() -%}
    create table if not exists {{ target.schema }}.fx_rates (
        date_day date, currency_code varchar, rate decimal(20,10)
    )
{%- endmacro %}

{% macro mysql__fx_rates_ddl() -%}
    create table if not exists {{ target.schema }}.fx_rates (
        date_day date not null, currency_code char(3) not null, rate decimal(20,10) not null,
        primary key (date_day, currency_code)
    ) engine=InnoDB
{%- endmacro %}

{% macro mariadb__fx_rates_ddl() -%}
    {{ return(touchline.mysql__fx_rates_ddl()) }}
{%- endmacro %}


{#- stg_campaign_daily(platform): the canonical columns of one platform's raw
    table, typed the same on every warehouse. Platform quirks are the
    ad_account_id / campaign_id macros below. -#}

{% macro stg_campaign_daily(platform) -%}
with

source as (

    select * from {{ source('ad_platforms', 'raw_' ~ platform ~ '__campaign_daily') }}

),

renamed as (

    select
        account,
        cast(date_day as date) as date_day,
        cast('{{ platform }}' as {{ touchline.varchar_type(32) }}) as platform,
        {{ touchline.ad_account_id(platform, 'account_id') }} as account_id,
        cast(campaign_id as {{ touchline.varchar_type(64) }}) as campaign_id,
        campaign_name,
        cast(impressions as {{ dbt.type_bigint() }}) as impressions,
        cast(clicks as {{ dbt.type_bigint() }}) as clicks,
        cast(spend as decimal(18, 6)) as spend,
        cast(conversions as decimal(18, 6)) as conversions,
        cast(conversions_value as decimal(18, 6)) as conversions_value,
        upper(currency_code) as currency_code,
        upper(account_currency) as account_currency,
        loaded_at
    from source

)

select * from renamed
{%- endmacro %}


{#- The platform's account id as people write it: Google shows customer ids as
    123-456-7890, Meta ad accounts are act_<id>; the others are used as is. -#}
{% macro ad_account_id(platform, column) -%}
    {%- if platform == 'google_ads' -%}
        {{ touchline.concat_ws_dash_google(column) }}
    {%- elif platform == 'meta' -%}
        case when substr({{ column }}, 1, 4) = 'act_' then {{ column }}
             else {{ dbt.concat(["'act_'", column]) }} end
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{% macro concat_ws_dash_google(column) -%}
    case when length({{ column }}) = 10
         then {{ dbt.concat(["substr(" ~ column ~ ", 1, 3)", "'-'", "substr(" ~ column ~ ", 4, 3)", "'-'", "substr(" ~ column ~ ", 7, 4)"]) }}
         else {{ column }} end
{%- endmacro %}


{#- The ad platform a session's click id or utm_source points to (NULL when
    neither says). Used to pick among campaigns of the same id or name on
    several platforms. -#}
{% macro session_ad_platform() -%}
    case
        {%- for platform, names in touchline.click_id_ad_platforms() %}
        when {% for name in names %}{{ name }} is not null{{ " or " if not loop.last }}{% endfor %} then '{{ platform }}'
        {%- endfor %}
        when lower(utm_source) in ('google', 'adwords', 'google_ads', 'youtube') then 'google_ads'
        when lower(utm_source) in ('bing', 'microsoft', 'msads', 'microsoft_ads') then 'microsoft_ads'
        when lower(utm_source) in ('facebook', 'fb', 'instagram', 'ig', 'meta') then 'meta'
        when lower(utm_source) = 'tiktok' then 'tiktok'
        when lower(utm_source) = 'pinterest' then 'pinterest'
        when lower(utm_source) = 'klaviyo' then 'klaviyo'
    end
{%- endmacro %}
