{#- regexp_like(expression, pattern): true when the pattern matches anywhere
    in the text (anchor it with ^...$). Write patterns in the common subset of
    RE2 (DuckDB), ICU (MySQL 8) and PCRE (MariaDB): no backslashes (MySQL
    string literals eat them; use [.] for a literal dot), no quotes. -#}

{% macro regexp_like(expression, pattern) -%}
    {%- if "\\" in pattern or "'" in pattern -%}
        {{ exceptions.raise_compiler_error("regexp_like: write the pattern without backslashes or quotes: " ~ pattern) }}
    {%- endif -%}
    {{ return(adapter.dispatch('regexp_like', 'touchline')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro mysql__regexp_like(expression, pattern) -%}
    ({{ expression }} regexp '{{ pattern }}')
{%- endmacro %}

{% macro mariadb__regexp_like(expression, pattern) -%}
    {{ return(touchline.mysql__regexp_like(expression, pattern)) }}
{%- endmacro %}


{#- regexp_like_column(expression, pattern_column): the same with the
    pattern in a column (an account's channel rule); NULL text never matches. -#}

{% macro regexp_like_column(expression, pattern_column) -%}
    {{ return(adapter.dispatch('regexp_like_column', 'touchline')(expression, pattern_column)) }}
{%- endmacro %}

{% macro default__regexp_like_column(expression, pattern_column) -%}
    coalesce(regexp_matches({{ expression }}, {{ pattern_column }}), false)
{%- endmacro %}

{% macro mysql__regexp_like_column(expression, pattern_column) -%}
    coalesce(({{ expression }} regexp {{ pattern_column }}), 0) = 1
{%- endmacro %}

{% macro mariadb__regexp_like_column(expression, pattern_column) -%}
    {{ return(touchline.mysql__regexp_like_column(expression, pattern_column)) }}
{%- endmacro %}
