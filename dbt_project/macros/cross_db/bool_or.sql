{#- dbt.bool_or: MySQL/MariaDB have no bool_or(); true when any row is true,
    false when none is, NULL when every value is NULL. -#}

{% macro mysql__bool_or(expression) -%}
    (max(case when {{ expression }} then 1 when not ({{ expression }}) then 0 end) = 1)
{%- endmacro %}

{% macro mariadb__bool_or(expression) -%}
    {{ return(touchline.mysql__bool_or(expression)) }}
{%- endmacro %}
