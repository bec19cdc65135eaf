{#- dbt.hash: dbt's default casts to TEXT, which MySQL/MariaDB CAST rejects.
    md5 of the text form; 32 lower-case hex characters on every warehouse. -#}

{% macro mysql__hash(field) -%}
    md5(cast({{ field }} as char))
{%- endmacro %}

{% macro mariadb__hash(field) -%}
    {{ return(touchline.mysql__hash(field)) }}
{%- endmacro %}
