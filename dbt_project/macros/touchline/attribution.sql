{#-
    Attribution models are restated by whole months (doc block
    "attribution_restatement"): the identity_map asset writes, per account of
    the run, the days to restate (attribution_restatements), and these
    macros select and replace exactly those. A run without partition
    variables restates everything.
-#}

{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based', 'time_decay', 'markov', 'shapley']) }}
{%- endmacro %}

{% macro rule_based_models() -%}
    {{ return(['first_touch', 'last_touch', 'last_non_direct', 'linear', 'position_based', 'time_decay']) }}
{%- endmacro %}

{#- The attribution models as rows (one column `model`). -#}
{% macro attribution_model_rows() -%}
    {%- for model in touchline.attribution_models() %}
    select cast('{{ model }}' as {{ touchline.varchar_type(16) }}) as model{{ " union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro _partitioned_run() -%}
    {%- set partition = touchline.partition_vars() -%}
    {{ return(partition.accounts or partition.start is not none) }}
{%- endmacro %}

{#- The table a Python asset writes, by name. Not source(): the filters
    below also run in tests and hooks, where dbt allows no new dependency;
    models that use them name stg_touchline__attribution_restatements in a
    depends_on comment, for the lineage. -#}
{% macro computed_relation(name) -%}
    {{ return(api.Relation.create(schema=target.schema, identifier=name)) }}
{%- endmacro %}

{#- restated_filter('sale_date'): the rows of the days this run restates. -#}
{% macro restated_filter(date_column, account_column='account') -%}
    {%- if not touchline._partitioned_run() -%}
        (1 = 1)
    {%- else -%}
        ({{ touchline.account_filter(account_column) }} and exists (
            select 1 from {{ touchline.computed_relation('attribution_restatements') }} as restated
            where restated.account = {{ account_column }}
                and {{ date_column }} between restated.restate_start and restated.restate_end
        ))
    {%- endif -%}
{%- endmacro %}

{#- A restated model's partition delete: the restated days first. The folder
    pre-hook delete_partition() (partitions.sql) calls it for the models with
    meta.restated_by_month. -#}
{% macro delete_restated(date_column=none) -%}
    {%- if is_incremental() -%}
        {%- set date_column = date_column or (model.config.get('meta') or {}).get('partition_date_column') -%}
        delete from {{ this }} where {{ touchline.restated_filter(date_column, this ~ '.account') }}
    {%- endif -%}
{%- endmacro %}

{#- MySQL 8 cuts GROUP_CONCAT at 1024 bytes by default (MariaDB at 1 MB):
    long journeys' paths must not be cut. A pre_hook, in the model's session. -#}
{% macro raise_group_concat_limit() -%}
    {{ return(adapter.dispatch('raise_group_concat_limit', 'touchline')()) }}
{%- endmacro %}

{% macro default__raise_group_concat_limit() -%}
{%- endmacro %}

{% macro mysql__raise_group_concat_limit() -%}
    set session group_concat_max_len = 16777216
{%- endmacro %}

{% macro mariadb__raise_group_concat_limit() -%}
    {{ return(touchline.mysql__raise_group_concat_limit()) }}
{%- endmacro %}

{#- The first day of the month of a date, as a DATE. -#}
{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- date + n days as a DATE (n may be a column). -#}
{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{#- The last day of the month that starts on `month_start_expression`. -#}
{% macro month_end(month_start_expression) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start_expression)) }} as date)
{%- endmacro %}

{#- A channel counted as "direct" by last_non_direct (as the library's
    DIRECT_CHANNELS). -#}
{% macro is_direct(channel) -%}
    (lower({{ channel }}) in ('direct', '(direct)'))
{%- endmacro %}
