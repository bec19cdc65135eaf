{#- on-run-start: the tables Touchline's Python assets write (declared in
    touchline/tables.py; tests/touchline/test_tables.py holds this DDL equal to
    it on both warehouses) exist
    before any model reads them, so dbt builds on a warehouse where those
    assets never ran (their rows are then simply absent). -#}

{% macro computed_tables() -%}
    {{ return(['account_channel_rules', 'account_attribution_settings', 'identity_map', 'attribution_restatements', 'attribution_path_credits']) }}
{%- endmacro %}

{% macro ensure_computed_tables() -%}
    {%- if execute -%}
        {%- for table in touchline.computed_tables() -%}
            {%- do run_query(adapter.dispatch('computed_table_ddl', 'touchline')(table)) -%}
        {%- endfor -%}
    {%- endif -%}
    select 1
{%- endmacro %}

{% macro default__computed_table_ddl(table) -%}
    {%- set columns = {
        'account_channel_rules': 'account varchar, rule_position integer, condition_position integer, field varchar, operator varchar, value varchar, channel varchar',
        'account_attribution_settings': 'account varchar, timezone varchar, currency varchar, lookback_days integer, fit_days integer, view_through_hours integer',
        'identity_map': 'account varchar, visitor_id varchar, person_id varchar',
        'attribution_restatements': 'account varchar, restate_start date, restate_end date, planned_at timestamp',
        'attribution_path_credits': 'account varchar, period_start date, model varchar, path_key varchar, touch_position integer, channel varchar, conversion_share double, value_share double',
    } -%}
    create table if not exists {{ target.schema }}.{{ table }} ({{ columns[table] }})
{%- endmacro %}

{% macro mysql__computed_table_ddl(table) -%}
    {%- set columns = {
        'account_channel_rules': 'account varchar(64), rule_position int, condition_position int, field varchar(32), operator varchar(16), value varchar(512), channel varchar(64), key ix_account_channel_rules_account (account)',
        'account_attribution_settings': 'account varchar(64), timezone varchar(64), currency char(3), lookback_days int, fit_days int, view_through_hours int, key ix_account_attribution_settings_account (account)',
        'identity_map': 'account varchar(64), visitor_id varchar(128), person_id varchar(64), key ix_identity_map_visitor_id (account, visitor_id)',
        'attribution_restatements': 'account varchar(64), restate_start date, restate_end date, planned_at datetime(6), key ix_attribution_restatements_account (account)',
        'attribution_path_credits': 'account varchar(64), period_start date, model varchar(16), path_key char(32), touch_position int, channel varchar(64), conversion_share double, value_share double, key ix_attribution_path_credits_touch_position (account, period_start, path_key, touch_position)',
    } -%}
    create table if not exists {{ target.schema }}.{{ table }} ({{ columns[table] }}) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin
{%- endmacro %}

{% macro mariadb__computed_table_ddl(table) -%}
    {{ return(touchline.mysql__computed_table_ddl(table)) }}
{%- endmacro %}
