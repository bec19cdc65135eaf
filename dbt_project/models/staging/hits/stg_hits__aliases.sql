{#- Alias hits (Segment alias): previous_id and user_id are the same person.
    Bots kept. The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('alias', humans_only=false) -%}
        {{ json_text('properties', 'previous_id') }} as previous_id
{%- endcall %}
