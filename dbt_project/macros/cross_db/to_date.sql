{#- to_date(timestamp): the calendar date (UTC) of a timestamp. -#}

{% macro to_date(timestamp) -%}
    {{ return(adapter.dispatch('to_date', 'touchline')(timestamp)) }}
{%- endmacro %}

{% macro default__to_date(timestamp) -%}
    cast({{ timestamp }} as date)
{%- endmacro %}

{% macro mysql__to_date(timestamp) -%}
    date({{ timestamp }})
{%- endmacro %}

{% macro mariadb__to_date(timestamp) -%}
    {{ return(touchline.mysql__to_date(timestamp)) }}
{%- endmacro %}

