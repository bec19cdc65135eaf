{#-
    Partitioned runs. Dagster materialises a rectangle of partitions, a set of
    accounts x a contiguous range of their local days, in ONE dbt call:
        TOUCHLINE_PARTITION_ACCOUNTS=acme,globex
        TOUCHLINE_PARTITION_START=2026-11-01 TOUCHLINE_PARTITION_END=2026-11-28
        dbt build --select tag:partitioned
    Every partitioned (incremental) model then processes, and replaces, exactly
    those partitions. An empty or unset variable means "all" (a full build).
    They are environment variables, not --vars, because a new --vars value
    forces dbt to re-parse the whole project on every run.
    These macros are the only place they are read.
-#}

{#- A YYYY-MM-DD string that is a real calendar day, or a compiler error. -#}
{% macro _checked_day(name, day) -%}
    {%- set parts = day.split('-') -%}
    {%- set valid = modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', day) is not none
        and 1 <= (parts[1] | int) <= 12 and (parts[2] | int) >= 1 -%}
    {%- if valid -%}
        {%- set year, month = parts[0] | int, parts[1] | int -%}
        {%- set month_end = modules.datetime.date(year + month // 12, month % 12 + 1, 1) - modules.datetime.timedelta(days=1) -%}
        {%- set valid = (parts[2] | int) <= month_end.day -%}
    {%- endif -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error(name ~ " must be a day as YYYY-MM-DD, got '" ~ day ~ "'") }}
    {%- endif -%}
    {{ return(day) }}
{%- endmacro %}

{#- The partitions of this run: {'accounts': [slug, ...] (empty = all),
    'start': 'YYYY-MM-DD'|none, 'end': 'YYYY-MM-DD'|none}. The values are
    validated: they end up inside SQL. -#}
{% macro partition_vars() -%}
    {%- set raw_accounts = env_var('TOUCHLINE_PARTITION_ACCOUNTS', '') | trim -%}
    {%- set start = env_var('TOUCHLINE_PARTITION_START', '') | trim -%}
    {%- set end = env_var('TOUCHLINE_PARTITION_END', '') | trim -%}
    {%- set accounts = [] -%}
    {%- for account in raw_accounts.split(',') if account | trim -%}
        {%- set account = account | trim -%}
        {%- if not modules.re.match('^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', account) -%}
            {{ exceptions.raise_compiler_error("TOUCHLINE_PARTITION_ACCOUNTS must list account slugs (letters, digits, '_', '-', '.'), got '" ~ account ~ "'") }}
        {%- endif -%}
        {%- do accounts.append(account) -%}
    {%- endfor -%}
    {%- set start = touchline._checked_day('TOUCHLINE_PARTITION_START', start) if start else none -%}
    {%- set end = touchline._checked_day('TOUCHLINE_PARTITION_END', end) if end else start -%}
    {%- if start is none and end is not none -%}
        {%- set start = end -%}
    {%- endif -%}
    {%- if start is not none and end < start -%}
        {{ exceptions.raise_compiler_error("TOUCHLINE_PARTITION_END (" ~ end ~ ") is before TOUCHLINE_PARTITION_START (" ~ start ~ ")") }}
    {%- endif -%}
    {{ return({'accounts': accounts, 'start': start, 'end': end}) }}
{%- endmacro %}


{#- partition_filter('session_date'): a WHERE condition selecting this run's
    partitions, '1 = 1' when the run is not partitioned. `days_before` and
    `days_after` widen the day range (sessions read the neighbouring days'
    hits to decide where a session that crosses midnight starts). -#}
{% macro partition_filter(date_column, account_column='account', days_before=0, days_after=0) -%}
    {%- set partition = touchline.partition_vars() -%}
    {%- set conditions = [] -%}
    {%- if partition.accounts -%}
        {%- do conditions.append(account_column ~ " in ('" ~ (partition.accounts | join("', '")) ~ "')") -%}
    {%- endif -%}
    {%- if partition.start is not none -%}
        {%- set one_day = modules.datetime.timedelta(days=1) -%}
        {%- set first = (modules.datetime.date.fromisoformat(partition.start) - one_day * days_before).isoformat() -%}
        {%- set last = (modules.datetime.date.fromisoformat(partition.end) + one_day * days_after).isoformat() -%}
        {%- do conditions.append(date_column ~ " between " ~ touchline.date_literal(first) ~ " and " ~ touchline.date_literal(last)) -%}
    {%- endif -%}
    {%- if execute and conditions and flags.FULL_REFRESH -%}
        {{ exceptions.raise_compiler_error("--full-refresh rebuilds every partition: run it without TOUCHLINE_PARTITION_* set") }}
    {%- endif -%}
    {%- if conditions -%}
        ({{ conditions | join(' and ') }})
    {%- else -%}
        (1 = 1)
    {%- endif -%}
{%- endmacro %}


{#- The pre-hook of every partitioned model, set per folder in dbt_project.yml
    (intermediate/, marts/):
        +pre-hook: "{{ touchline.delete_partition() }}"
    delete+insert only deletes the keys present in the new rows, so a
    partition whose hits are gone (or fewer) would keep stale rows. This
    deletes the whole partition first, in the same transaction as the insert.
    Without TOUCHLINE_PARTITION_* it deletes everything: an unpartitioned run
    of an existing table is then an exact rebuild too. The day column comes
    from the model's meta.partition_date_column (Dagster reads it too) unless
    given. A model with meta.restated_by_month replaces the days the run
    restates instead (delete_restated(), attribution.sql). Nothing on the
    first build, on a full refresh or for a model that is not incremental. -#}
{% macro delete_partition(date_column=none, account_column='account') -%}
    {%- if is_incremental() -%}
        {%- set meta = model.config.get('meta') or {} -%}
        {%- set date_column = date_column or meta.get('partition_date_column') -%}
        {%- if not date_column -%}
            {{ exceptions.raise_compiler_error("delete_partition: set meta.partition_date_column on " ~ this) }}
        {%- endif -%}
        {%- if meta.get('restated_by_month') -%}
            {{ touchline.delete_restated(date_column) }}
        {%- else -%}
            delete from {{ this }} where {{ touchline.partition_filter(date_column, account_column) }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}


{#- The post-hook of every partitioned model, set per folder in
    dbt_project.yml: an index on the partition columns, so that the
    pre-hook's delete and the partition's tests do not scan the table
    (MySQL/MariaDB). The columns: `columns` if given, else the model's
    meta.partition_index, else its unique_key. Idempotent; nothing for a
    model that is not incremental; DuckDB needs none (zone maps). -#}
{% macro ensure_partition_index(columns=none) -%}
    {%- if not execute or model.config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set columns = columns or (model.config.get('meta') or {}).get('partition_index') or model.config.get('unique_key') -%}
    {%- if not columns -%}
        {{ exceptions.raise_compiler_error("ensure_partition_index: set unique_key or meta.partition_index on " ~ this) }}
    {%- endif -%}
    {%- set columns = [columns] if columns is string else columns -%}
    {{ return(adapter.dispatch('ensure_partition_index', 'touchline')(columns)) }}
{%- endmacro %}

{% macro default__ensure_partition_index(columns) -%}
{%- endmacro %}

{% macro mysql__ensure_partition_index(columns) -%}
    {{ return(touchline.mysql__ensure_index('ix_' ~ this.identifier ~ '_partition', columns)) }}
{%- endmacro %}

{#- `create index` unless the table has an index of that name (MySQL/MariaDB). -#}
{% macro mysql__ensure_index(index_name, columns) -%}
    {%- if execute -%}
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
    `dispatch:` search order) turns that into partition_filter('session_date');
    "restated:sale_date" becomes restated_filter('sale_date') (attribution.sql).
    Any other `where` works as in dbt. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and (where | string).startswith('partition:') -%}
        {%- set where = touchline.partition_filter((where | string)[10:] | trim) -%}
    {%- elif where and (where | string).startswith('restated:') -%}
        {%- set where = touchline.restated_filter((where | string)[9:] | trim) -%}
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


{#- account_filter('account'): only the run's accounts ('1 = 1' when the run
    names none). For tables that are per account but not per day. -#}
{% macro account_filter(account_column='account') -%}
    {%- set partition = touchline.partition_vars() -%}
    {%- if partition.accounts -%}
        ({{ account_column }} in ('{{ partition.accounts | join("', '") }}'))
    {%- else -%}
        (1 = 1)
    {%- endif -%}
{%- endmacro %}


{#- The second post-hook of the marts: a covering index for the report API on
    MySQL/MariaDB, from the model's meta.report_index (the account, the
    dimensions reports filter on first, the day, then the columns they group
    and add up). A report over a year of one account then reads the index
    alone instead of looking up every row: on 2.6 M rows of
    fct_attribution_campaign_daily, 2.6 s became 0.07 s (docs/benchmarks.md).
    Nothing without meta.report_index; DuckDB needs none (columnar). -#}
{% macro ensure_report_index() -%}
    {%- if not execute or model.config.get('materialized') != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set columns = (model.config.get('meta') or {}).get('report_index') -%}
    {%- if not columns -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('ensure_report_index', 'touchline')(columns)) }}
{%- endmacro %}

{% macro default__ensure_report_index(columns) -%}
{%- endmacro %}

{% macro mysql__ensure_report_index(columns) -%}
    {{ return(touchline.mysql__ensure_index('ix_' ~ this.identifier ~ '_report', columns)) }}
{%- endmacro %}

{% macro mariadb__ensure_report_index(columns) -%}
    {{ return(touchline.mysql__ensure_report_index(columns)) }}
{%- endmacro %}
