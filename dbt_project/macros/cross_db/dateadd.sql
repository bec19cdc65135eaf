{#- dbt.dateadd(datepart, interval, from_date_or_timestamp) on MySQL/MariaDB:
    DATE_ADD with an INTERVAL (dbt's default emits dateadd(), which they lack). -#}

{% macro mysql__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set part = datepart | lower | trim -%}
    {%- if part == 'millisecond' -%}
        date_add({{ from_date_or_timestamp }}, interval (({{ interval }}) * 1000) microsecond)
    {%- elif part in ['microsecond', 'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] -%}
        date_add({{ from_date_or_timestamp }}, interval ({{ interval }}) {{ part }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("dateadd: unsupported datepart '" ~ datepart ~ "' on MySQL/MariaDB") }}
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {{ return(touchline.mysql__dateadd(datepart, interval, from_date_or_timestamp)) }}
{%- endmacro %}
