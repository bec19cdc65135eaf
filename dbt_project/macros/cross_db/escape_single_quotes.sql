{#- dbt.escape_single_quotes: MySQL/MariaDB string literals also treat the
    backslash as an escape character, so it is doubled too. -#}

{% macro mysql__escape_single_quotes(expression) -%}
    {{ expression | replace("\\", "\\\\") | replace("'", "''") }}
{%- endmacro %}

{% macro mariadb__escape_single_quotes(expression) -%}
    {{ return(touchline.mysql__escape_single_quotes(expression)) }}
{%- endmacro %}
