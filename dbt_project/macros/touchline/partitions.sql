{#-
    Partitioned runs. Dagster materialises one account x day at a time with
        dbt build --vars '{"account": "acme", "date": "2026-11-20"}'
    and every partitioned (incremental) model must then process, and replace,
    exactly that partition. Without the vars a run covers everything.
    These macros are the only place the vars are read.
-#}

{#- The partition of this run: {'account': str|none, 'date': 'YYYY-MM-DD'|none}.
    The values are validated: they end up inside SQL. -#}
{% macro partition_vars() -%}
    {%- set account = var('account', none) -%}
    {%- set day = var('date', none) -%}
    {%- set account = none if account is none or (account | string | trim) == '' else (account | string | trim) -%}
    {%- set day = none if day is none or (day | string | trim) == '' else (day | string | trim) -%}
    {%- if account is not none and not modules.re.match('^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', account) -%}
        {{ exceptions.raise_compiler_error("var 'account' must be an account slug (letters, digits, '_', '-', '.'), got '" ~ account ~ "'") }}
    {%- endif -%}
    {%- if day is not none -%}
        {%- set parts = day.split('-') -%}
        {%- set valid = modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day) is not none
            and 1 <= (parts[1] | int) <= 12 and (parts[2] | int) >= 1 -%}
        {%- if valid -%}
            {%- set year, month = parts[0] | int, parts[1] | int -%}
            {%- set month_end = modules.datetime.date(year + month // 12, month % 12 + 1, 1) - modules.datetime.timedelta(days=1) -%}
            {%- set valid = (parts[2] | int) <= month_end.day -%}
        {%- endif -%}
        {%- if not valid -%}
            {{ exceptions.raise_compiler_error("var 'date' must be a day as YYYY-MM-DD, got '" ~ day ~ "'") }}
        {%- endif -%}
    {%- endif -%}
    {{ return({'account': account, 'date': day}) }}
{%- endmacro %}


{#- partition_filter('event_date'): a WHERE condition selecting this run's
    partition, '1 = 1' when the run is not partitioned. -#}
{% macro partition_filter(date_column, account_column='account') -%}
    {%- set partition = touchline.partition_vars() -%}
    {%- set conditions = [] -%}
    {%- if partition.account is not none -%}
        {%- do conditions.append(account_column ~ " = '" ~ partition.account ~ "'") -%}
    {%- endif -%}
    {%- if partition.date is not none -%}
        {%- do conditions.append(date_column ~ " = " ~ touchline.date_literal(partition.date)) -%}
    {%- endif -%}
    {%- if execute and conditions and flags.FULL_REFRESH -%}
        {{ exceptions.raise_compiler_error("--full-refresh rebuilds every partition: run it without the 'account'/'date' vars") }}
    {%- endif -%}
    {%- if conditions -%}
        ({{ conditions | join(' and ') }})
    {%- else -%}
        (1 = 1)
    {%- endif -%}
{%- endmacro %}


{#- pre_hook of every partitioned model:
        meta={'partition_date_column': 'session_date'},
        pre_hook="{{ delete_partition() }}"
    delete+insert only deletes the keys present in the new rows, so a
    partition whose hits are gone (or fewer) would keep stale rows. This
    deletes the whole partition first, in the same transaction as the insert.
    Without partition vars it deletes everything: an unpartitioned run of an
    existing table is then an exact rebuild too. The day column comes from
    the model's meta.partition_date_column (Dagster reads it too) unless given. -#}
{% macro delete_partition(date_column=none, account_column='account') -%}
    {%- if is_incremental() -%}
        {%- set date_column = date_column or (model.config.get('meta') or {}).get('partition_date_column') -%}
        {%- if not date_column -%}
            {{ exceptions.raise_compiler_error("delete_partition: set meta.partition_date_column on " ~ this) }}
        {%- endif -%}
        delete from {{ this }} where {{ touchline.partition_filter(date_column, account_column) }}
    {%- endif -%}
{%- endmacro %}


{#- post_hook of every partitioned model: an index on the partition columns,
    so that the pre_hook's delete and the partition's tests do not scan the
    table (MySQL/MariaDB). Idempotent; DuckDB needs none (zone maps). -#}
{% macro ensure_partition_index(columns) -%}
    {{ return(adapter.dispatch('ensure_partition_index', 'touchline')(columns)) }}
{%- endmacro %}

{% macro default__ensure_partition_index(columns) -%}
{%- endmacro %}

{% macro mysql__ensure_partition_index(columns) -%}
    {%- if execute -%}
        {%- set index_name = 'ix_' ~ this.identifier ~ '_partition' -%}
        {%- set found = run_query(
            "select count(*) from information_schema.statistics"
            ~ " where table_schema = '" ~ this.schema ~ "'"
            ~ " and table_name = '" ~ this.identifier ~ "'"
            ~ " and index_name = '" ~ index_name ~ "'"
        ) -%}
        {%- if found.rows[0][0] == 0 -%}
            create index {{ index_name }} on {{ this }} ({{ columns | join(', ') }})
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__ensure_partition_index(columns) -%}
    {{ return(touchline.mysql__ensure_partition_index(columns)) }}
{%- endmacro %}


{#- Tests on partitioned models check only the run's partition. dbt cannot
    call project macros in a test's `where` config, so such tests say
        config:
          where: "partition:session_date"
    and this override of dbt's get_where_subquery (found first through the
    `dispatch:` search order) turns that into partition_filter('session_date').
    Any other `where` works as in dbt. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and (where | string).startswith('partition:') -%}
        {%- set where = touchline.partition_filter((where | string)[10:] | trim) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
