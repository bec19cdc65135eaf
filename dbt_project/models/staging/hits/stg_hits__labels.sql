{#- Label hits of human visitors: a key/value attached to the visit.
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('label') -%}
        {{ json_text('properties', 'key') }} as label_key,
        {{ json_text('properties', 'value') }} as label_value
{%- endcall %}
