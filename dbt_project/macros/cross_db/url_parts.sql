{#- url_host(url) and url_path(url) for absolute URLs (scheme://...).
    url_host: the host as written (no user info, no port), NULL when the text
    is not an absolute URL or has no host. Normalise it with normalize_host().
    url_path: the path without query and fragment, '/' when empty.
    DuckDB uses regular expressions; MySQL 8 (ICU) and MariaDB (PCRE) differ in
    regexp_replace back-references, so they cut the text with locate() and
    substring_index(), which behave the same on both. -#}

{% macro url_host(url) -%}
    {{ return(adapter.dispatch('url_host', 'touchline')(url)) }}
{%- endmacro %}

{% macro url_path(url) -%}
    {{ return(adapter.dispatch('url_path', 'touchline')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
    nullif(regexp_extract({{ url }}, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^/?#@]*@)?([^/?#:]*)', 1), '')
{%- endmacro %}

{% macro default__url_path(url) -%}
    case
        when regexp_matches({{ url }}, '^[A-Za-z][A-Za-z0-9+.-]*://')
            then coalesce(nullif(regexp_extract({{ url }}, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*([^?#]*)', 1), ''), '/')
    end
{%- endmacro %}

{#- The text after "scheme://", NULL when there is no scheme. -#}
{% macro _mysql_after_scheme(url) -%}
    case
        when {{ url }} regexp '^[A-Za-z][A-Za-z0-9+.-]*://'
            then substring({{ url }}, locate('://', {{ url }}) + 3)
    end
{%- endmacro %}

{% macro mysql__url_host(url) -%}
    {%- set authority -%}
        substring_index(substring_index(substring_index({{ touchline._mysql_after_scheme(url) }}, '/', 1), '?', 1), '#', 1)
    {%- endset -%}
    nullif(substring_index(substring_index({{ authority }}, '@', -1), ':', 1), '')
{%- endmacro %}

{% macro mysql__url_path(url) -%}
    {%- set rest -%}
        substring_index(substring_index({{ touchline._mysql_after_scheme(url) }}, '#', 1), '?', 1)
    {%- endset -%}
    case
        when locate('/', {{ rest }}) > 0 then substring({{ rest }}, locate('/', {{ rest }}))
        when {{ rest }} is not null then '/'
    end
{%- endmacro %}

{% macro mariadb__url_host(url) -%}
    {{ return(touchline.mysql__url_host(url)) }}
{%- endmacro %}

{% macro mariadb__url_path(url) -%}
    {{ return(touchline.mysql__url_path(url)) }}
{%- endmacro %}
