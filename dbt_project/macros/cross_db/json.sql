{#- JSON in text columns (raw_hits.properties), the same on DuckDB and MySQL/MariaDB.

    json_text(column, key)      a scalar as text; NULL when absent or JSON null
    json_number(column, key)    a scalar as a double; NULL when absent or JSON null
    json_fragment(column, key)  a value as JSON text (objects, arrays), NULL when absent
    json_entries_join(alias, column), json_entry_key(), json_entry_value(alias, column)
                                one row per key of a JSON object (FROM clause + columns)
    json_object_agg(key, value) an object from key / JSON-text value rows (aggregate)

    Keys are plain names (letters, digits, '_'): they are spliced into JSON paths. -#}

{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'touchline')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{#- JSON_VALUE gives NULL for JSON null (JSON_UNQUOTE(JSON_EXTRACT()) gives 'null'). -#}
{% macro mysql__json_text(column, key) -%}
    json_value({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro mariadb__json_text(column, key) -%}
    json_value({{ column }}, '$.{{ key }}')
{%- endmacro %}


{% macro json_number(column, key) -%}
    {{ return(adapter.dispatch('json_number', 'touchline')(column, key)) }}
{%- endmacro %}

{% macro default__json_number(column, key) -%}
    try_cast(json_extract_string({{ column }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro mysql__json_number(column, key) -%}
    cast(json_value({{ column }}, '$.{{ key }}') as double)
{%- endmacro %}

{% macro mariadb__json_number(column, key) -%}
    cast(json_value({{ column }}, '$.{{ key }}') as double)
{%- endmacro %}


{% macro json_fragment(column, key) -%}
    {{ return(adapter.dispatch('json_fragment', 'touchline')(column, key)) }}
{%- endmacro %}

{% macro default__json_fragment(column, key) -%}
    cast(json_extract({{ column }}, '$.{{ key }}') as varchar)
{%- endmacro %}

{% macro mysql__json_fragment(column, key) -%}
    json_extract({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro mariadb__json_fragment(column, key) -%}
    json_extract({{ column }}, '$.{{ key }}')
{%- endmacro %}


{% macro json_entries_join(alias, column) -%}
    {{ return(adapter.dispatch('json_entries_join', 'touchline')(alias, column)) }}
{%- endmacro %}

{% macro default__json_entries_join(alias, column) -%}
    cross join json_each({{ alias }}.{{ column }}) as json_entry
{%- endmacro %}

{% macro mysql__json_entries_join(alias, column) -%}
    cross join json_table(
        json_keys({{ alias }}.{{ column }}), '$[*]' columns (entry_key varchar(255) path '$')
    ) as json_entry
{%- endmacro %}

{% macro mariadb__json_entries_join(alias, column) -%}
    {{ return(touchline.mysql__json_entries_join(alias, column)) }}
{%- endmacro %}


{% macro json_entry_key() -%}
    {{ return(adapter.dispatch('json_entry_key', 'touchline')()) }}
{%- endmacro %}

{% macro default__json_entry_key() -%}
    json_entry.key
{%- endmacro %}

{% macro mysql__json_entry_key() -%}
    json_entry.entry_key
{%- endmacro %}

{% macro mariadb__json_entry_key() -%}
    json_entry.entry_key
{%- endmacro %}


{% macro json_entry_value(alias, column) -%}
    {{ return(adapter.dispatch('json_entry_value', 'touchline')(alias, column)) }}
{%- endmacro %}

{% macro default__json_entry_value(alias, column) -%}
    cast(json_entry.value as varchar)
{%- endmacro %}

{% macro mysql__json_entry_value(alias, column) -%}
    json_extract({{ alias }}.{{ column }}, concat('$."', json_entry.entry_key, '"'))
{%- endmacro %}

{% macro mariadb__json_entry_value(alias, column) -%}
    {{ return(touchline.mysql__json_entry_value(alias, column)) }}
{%- endmacro %}


{% macro json_object_agg(key, value) -%}
    {{ return(adapter.dispatch('json_object_agg', 'touchline')(key, value)) }}
{%- endmacro %}

{% macro default__json_object_agg(key, value) -%}
    cast(json_group_object({{ key }}, cast({{ value }} as json)) as varchar)
{%- endmacro %}

{% macro mysql__json_object_agg(key, value) -%}
    cast(json_objectagg({{ key }}, cast({{ value }} as json)) as char)
{%- endmacro %}

{#- MariaDB has no CAST(... AS JSON): the value is already JSON text, so the
    object is spliced together (keys quoted with JSON_QUOTE). -#}
{% macro mariadb__json_object_agg(key, value) -%}
    concat('{', group_concat(concat(json_quote({{ key }}), ':', {{ value }}) order by {{ key }} separator ','), '}')
{%- endmacro %}
