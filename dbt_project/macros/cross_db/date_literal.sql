{#- date_literal('2026-11-20'): a DATE constant. The value is checked, so it
    is safe to pass a var through. -#}

{% macro date_literal(value) -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
        {{ exceptions.raise_compiler_error("not a date (YYYY-MM-DD): '" ~ text ~ "'") }}
    {%- endif -%}
    cast('{{ text }}' as date)
{%- endmacro %}


{#- timestamp_literal('2026-11-20 10:00:00[.ffffff]'): a (naive, UTC)
    TIMESTAMP constant with microsecond precision. -#}

{% macro timestamp_literal(value) -%}
    {%- set text = value | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]{1,6})?$', text) -%}
        {{ exceptions.raise_compiler_error("not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff]): '" ~ text ~ "'") }}
    {%- endif -%}
    cast('{{ text | replace("T", " ") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
