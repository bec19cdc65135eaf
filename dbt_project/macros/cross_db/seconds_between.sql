{#- seconds_between(start, end): elapsed seconds from start to end, with the
    fraction (microsecond precision). Not dbt.datediff(..., 'second'), which
    counts second boundaries crossed, and not TIMESTAMPDIFF(SECOND, ...),
    which drops the fraction: 1800.5 s of inactivity must read as more than
    1800 s. A DOUBLE: an exact DECIMAL division on MySQL keeps only 4 decimals
    (div_precision_increment), which would lose the microseconds. -#}

{% macro seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(adapter.dispatch('seconds_between', 'touchline')(start_timestamp, end_timestamp)) }}
{%- endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) -%}
    ((epoch_us({{ end_timestamp }}) - epoch_us({{ start_timestamp }})) / 1e6)
{%- endmacro %}

{% macro mysql__seconds_between(start_timestamp, end_timestamp) -%}
    (timestampdiff(microsecond, {{ start_timestamp }}, {{ end_timestamp }}) / 1e6)
{%- endmacro %}

{% macro mariadb__seconds_between(start_timestamp, end_timestamp) -%}
    {{ return(touchline.mysql__seconds_between(start_timestamp, end_timestamp)) }}
{%- endmacro %}
