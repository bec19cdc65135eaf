{#- dbt.any_value: MariaDB has no ANY_VALUE(); min() is an accepted value
    and deterministic, on MySQL 8 too. -#}

{% macro mysql__any_value(expression) -%}
    min({{ expression }})
{%- endmacro %}

{% macro mariadb__any_value(expression) -%}
    {{ return(touchline.mysql__any_value(expression)) }}
{%- endmacro %}
