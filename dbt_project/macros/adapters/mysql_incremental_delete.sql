{#-
    dbt-mysql 1.7's incremental materialisation (mysql and mariadb adapters)
    deletes the rows being replaced with
        delete from target where (k1, k2, ...) in (select k1, k2, ... from tmp)
    which MariaDB cannot run through an index: on a 250k-row table with a
    24k-row partition it ran for minutes. This root-project macro replaces
    the adapter's (same name, not dispatched; dbt resolves root-project
    macros first) with a multi-table DELETE joined on the keys, which uses
    the partition index (ensure_partition_index). Same rows deleted.
    The DuckDB materialisation does not call it.
-#}

{% macro incremental_delete(tmp_relation, target_relation, unique_key=none, statement_name="pre_main") %}
    {%- if unique_key is not none and unique_key | length -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {#- no table aliases: MariaDB rejects them in a multi-table DELETE when the
        connection has no default database (error 1046) -#}
    delete {{ target_relation }}
    from {{ target_relation }}
    inner join {{ tmp_relation }}
        on {% for key in keys -%}
            {{ target_relation }}.{{ key }} = {{ tmp_relation }}.{{ key }}{{ "\n        and " if not loop.last }}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
