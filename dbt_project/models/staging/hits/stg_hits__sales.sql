{#- Sale hits: order id, revenue, currency and the line items. Bots kept.
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('sale', humans_only=false) -%}
        {{ json_text('properties', 'order_id') }} as order_id,
        {{ json_number('properties', 'revenue') }} as revenue,
        {{ json_text('properties', 'currency') }} as currency,
        {{ json_fragment('properties', 'items') }} as items_json
{%- endcall %}
