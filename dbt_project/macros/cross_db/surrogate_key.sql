{#- surrogate_key(['col_a', 'col_b']): md5 over the columns' text, NULL
    written as '_null_' and '-' between fields, the same 32 hex characters on
    every warehouse. Built from dbt.concat, dbt.hash and dbt.type_string, which
    are dispatched (see concat.sql, hash.sql, data_types.sql). -#}

{% macro surrogate_key(field_list) -%}
    {%- set fields = [] -%}
    {%- for field in field_list -%}
        {%- do fields.append("coalesce(cast(" ~ field ~ " as " ~ dbt.type_string() ~ "), '_null_')") -%}
        {%- if not loop.last -%}
            {%- do fields.append("'-'") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(fields)) }}
{%- endmacro %}
