{#- Event hits of human visitors (tag, or Segment track / screen / group).
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('event') -%}
        {{ json_text('properties', 'category') }} as category,
        {{ json_text('properties', 'action') }} as action,
        {{ json_text('properties', 'label') }} as label,
        {{ json_number('properties', 'value') }} as event_value
{%- endcall %}
