{#- Type names for CAST(... AS <type>). MySQL/MariaDB accept only BINARY,
    CHAR, DATE, DATETIME, DECIMAL, DOUBLE, FLOAT, SIGNED, UNSIGNED and TIME
    there (dbt's defaults give TEXT, TIMESTAMP, BIGINT ...). These are for
    casts, not for column definitions. -#}

{% macro mysql__type_string() -%} char {%- endmacro %}
{% macro mariadb__type_string() -%} char {%- endmacro %}

{% macro mysql__type_timestamp() -%} datetime(6) {%- endmacro %}
{% macro mariadb__type_timestamp() -%} datetime(6) {%- endmacro %}

{% macro mysql__type_bigint() -%} signed {%- endmacro %}
{% macro mariadb__type_bigint() -%} signed {%- endmacro %}

{% macro mysql__type_int() -%} signed {%- endmacro %}
{% macro mariadb__type_int() -%} signed {%- endmacro %}

{% macro mysql__type_float() -%} double {%- endmacro %}
{% macro mariadb__type_float() -%} double {%- endmacro %}

{% macro mysql__type_numeric() -%} decimal(28, 6) {%- endmacro %}
{% macro mariadb__type_numeric() -%} decimal(28, 6) {%- endmacro %}

{% macro mysql__type_boolean() -%} signed {%- endmacro %}
{% macro mariadb__type_boolean() -%} signed {%- endmacro %}


{#- varchar_type(n): a bounded string type for CAST, so that a column created
    by CREATE TABLE AS from short literals (a CASE of channel names) is wide
    enough for the values later incremental runs insert. -#}

{% macro varchar_type(length) -%}
    {{ return(adapter.dispatch('varchar_type', 'touchline')(length)) }}
{%- endmacro %}

{% macro default__varchar_type(length) -%}
    varchar({{ length }})
{%- endmacro %}

{% macro mysql__varchar_type(length) -%}
    char({{ length }})
{%- endmacro %}

{% macro mariadb__varchar_type(length) -%}
    {{ return(touchline.mysql__varchar_type(length)) }}
{%- endmacro %}


{#- double_type(): an 8-byte float for CAST on every warehouse (dbt's
    type_float() is a 4-byte REAL on DuckDB). MySQL >= 8.0.17 and MariaDB
    >= 10.4 accept CAST(... AS DOUBLE). -#}

{% macro double_type() -%}
    double
{%- endmacro %}
