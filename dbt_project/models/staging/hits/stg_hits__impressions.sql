{#- Ad impressions of human visitors (tag or the /i.gif pixel): the ad's
    campaign, creative and placement. The common hit columns:
    macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('impression') -%}
        {{ touchline.hit_ad_columns() }}
{%- endcall %}
