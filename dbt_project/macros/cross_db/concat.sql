{#- dbt.concat: dbt's default joins with ||, which MySQL/MariaDB read as a
    logical OR (the result is 0). NULL in any field gives NULL everywhere. -#}

{% macro mysql__concat(fields) -%}
    concat({{ fields | join(', ') }})
{%- endmacro %}

{% macro mariadb__concat(fields) -%}
    {{ return(touchline.mysql__concat(fields)) }}
{%- endmacro %}
