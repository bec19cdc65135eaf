{#- dbt.last_day(date, datepart): the last day of the period, as a DATE.
    dbt's default is built from dateadd/date_trunc, which are overridden above;
    months use MySQL's own last_day(). -#}

{% macro mysql__last_day(date, datepart) -%}
    {%- if datepart | lower | trim == 'month' -%}
        last_day({{ date }})
    {%- else -%}
        {{ dbt.default_last_day(date, datepart) }}
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__last_day(date, datepart) -%}
    {{ return(touchline.mysql__last_day(date, datepart)) }}
{%- endmacro %}
