{#- clean_text(expr): trimmed, lower-case, NULL when empty.
    normalize_host(expr): a host compared case-insensitively and without a
    leading "www.", NULL when empty. -#}

{% macro clean_text(expression) -%}
    {{ return(adapter.dispatch('clean_text', 'touchline')(expression)) }}
{%- endmacro %}

{% macro default__clean_text(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{% macro mysql__clean_text(expression) -%}
    nullif(lower(trim({{ expression }})), '')
{%- endmacro %}

{% macro mariadb__clean_text(expression) -%}
    {{ return(touchline.mysql__clean_text(expression)) }}
{%- endmacro %}


{% macro normalize_host(host) -%}
    {{ return(adapter.dispatch('normalize_host', 'touchline')(host)) }}
{%- endmacro %}

{% macro default__normalize_host(host) -%}
    nullif(regexp_replace(lower(trim({{ host }})), '^www[.]', ''), '')
{%- endmacro %}

{% macro mysql__normalize_host(host) -%}
    nullif(
        case
            when lower(trim({{ host }})) like 'www.%' then substring(lower(trim({{ host }})), 5)
            else lower(trim({{ host }}))
        end,
        ''
    )
{%- endmacro %}

{% macro mariadb__normalize_host(host) -%}
    {{ return(touchline.mysql__normalize_host(host)) }}
{%- endmacro %}
