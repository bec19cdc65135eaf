{#- Redirect hits of human visitors (an ad click through Touchline's
    redirect): the target and the ad's campaign, creative and placement.
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('redirect') -%}
        {{ json_text('properties', 'target') }} as target_url,
        {{ touchline.hit_ad_columns() }}
{%- endcall %}
