{#- Identify hits: a visitor known as a user, with the traits sent. Bots kept.
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('identify', humans_only=false) -%}
        {{ json_fragment('properties', 'traits') }} as traits_json
{%- endcall %}
