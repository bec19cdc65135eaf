{#- dbt.cast_bool_to_text: MySQL/MariaDB booleans are integers; give the
    same 'true'/'false' text as the other warehouses. -#}

{% macro mysql__cast_bool_to_text(field) -%}
    case when {{ field }} then 'true' when not ({{ field }}) then 'false' end
{%- endmacro %}

{% macro mariadb__cast_bool_to_text(field) -%}
    {{ return(touchline.mysql__cast_bool_to_text(field)) }}
{%- endmacro %}
