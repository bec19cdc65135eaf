{#- dbt.length: MySQL/MariaDB length() counts bytes; char_length() counts
    characters like length() does elsewhere. -#}

{% macro mysql__length(expression) -%}
    char_length({{ expression }})
{%- endmacro %}

{% macro mariadb__length(expression) -%}
    {{ return(touchline.mysql__length(expression)) }}
{%- endmacro %}
