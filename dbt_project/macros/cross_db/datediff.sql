{#- dbt.datediff(first_date, second_date, datepart) on MySQL/MariaDB.
    dbt's datediff counts the period boundaries crossed (23:59 -> 00:01 is one
    day); TIMESTAMPDIFF counts whole elapsed units (zero days). Truncating
    both ends to the period first makes TIMESTAMPDIFF count boundaries.
    For elapsed time use seconds_between() instead. -#}

{% macro mysql__datediff(first_date, second_date, datepart) -%}
    {%- set part = datepart | lower | trim -%}
    {%- if part in ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second'] -%}
        timestampdiff(
            {{ part }},
            {{ touchline.mysql__date_trunc(part, first_date) }},
            {{ touchline.mysql__date_trunc(part, second_date) }}
        )
    {%- elif part == 'millisecond' -%}
        floor(timestampdiff(microsecond, {{ first_date }}, {{ second_date }}) / 1000)
    {%- elif part == 'microsecond' -%}
        timestampdiff(microsecond, {{ first_date }}, {{ second_date }})
    {%- else -%}
        {{ exceptions.raise_compiler_error("datediff: unsupported datepart '" ~ datepart ~ "' on MySQL/MariaDB") }}
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__datediff(first_date, second_date, datepart) -%}
    {{ return(touchline.mysql__datediff(first_date, second_date, datepart)) }}
{%- endmacro %}
