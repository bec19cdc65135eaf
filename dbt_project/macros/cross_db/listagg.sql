{#- dbt.listagg(measure, delimiter_text, order_by_clause, limit_num) on
    MySQL/MariaDB: GROUP_CONCAT. The delimiter must be a string literal.
    GROUP_CONCAT truncates at group_concat_max_len (1 MB by default on
    MariaDB, only 1024 bytes on MySQL 8: raise it on the server for long lists). -#}

{% macro mysql__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set aggregated -%}
        group_concat({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %} separator {{ delimiter_text }})
    {%- endset -%}
    {%- if limit_num -%}
        substring_index({{ aggregated }}, {{ delimiter_text }}, {{ limit_num }})
    {%- else -%}
        {{ aggregated }}
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    group_concat({{ measure }}{% if order_by_clause %} {{ order_by_clause }}{% endif %} separator {{ delimiter_text }}{% if limit_num %} limit {{ limit_num }}{% endif %})
{%- endmacro %}
