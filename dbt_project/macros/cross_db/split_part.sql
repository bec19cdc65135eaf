{#- dbt.split_part(string_text, delimiter_text, part_number) on MySQL/MariaDB,
    which have no split_part(). Parts count from 1; negative numbers count from
    the end; a part beyond the last gives '' as on DuckDB and Postgres. -#}

{% macro mysql__split_part(string_text, delimiter_text, part_number) -%}
    {%- set parts -%}
        ((char_length({{ string_text }}) - char_length(replace({{ string_text }}, {{ delimiter_text }}, ''))) / char_length({{ delimiter_text }}) + 1)
    {%- endset -%}
    {%- set literal = part_number | string | trim -%}
    {%- if modules.re.match('^-[0-9]+$', literal) -%}
        {%- set n = literal | int -%}
        case
            when {{ parts }} >= {{ -n }}
                then substring_index(substring_index({{ string_text }}, {{ delimiter_text }}, {{ n }}), {{ delimiter_text }}, 1)
            else ''
        end
    {%- else -%}
        case
            when {{ parts }} >= {{ part_number }}
                then substring_index(substring_index({{ string_text }}, {{ delimiter_text }}, {{ part_number }}), {{ delimiter_text }}, -1)
            else ''
        end
    {%- endif -%}
{%- endmacro %}

{% macro mariadb__split_part(string_text, delimiter_text, part_number) -%}
    {{ return(touchline.mysql__split_part(string_text, delimiter_text, part_number)) }}
{%- endmacro %}
