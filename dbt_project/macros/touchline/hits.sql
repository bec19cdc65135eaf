{#-
    The hit staging views (models/staging/hits/stg_hits__<type>.sql) share one
    base: raw_hits filtered to one hit type, 1:1, with the common hit columns
    first, the type's own fields next and the context columns last:

        {% call touchline.stg_hits('event') -%}
            {{ json_text('properties', 'category') }} as category,
            ...
        {%- endcall %}

    stg_hits(hit_type, humans_only=true, where=none):
      humans_only  drop the hits the collector classified as bots (the views
                   of visitor behaviour); a view that keeps them (sales,
                   identities, aliases, validation failures) carries is_bot;
      where        one more condition on the raw hit.
    The columns' descriptions are the doc blocks hit_* in models/docs.md.
-#}
{% macro stg_hits(hit_type, humans_only=true, where=none) -%}
{%- set own_columns = (caller() if caller is defined else '') | trim -%}
with

source as (

    select * from {{ source('touchline_raw', 'raw_hits') }}

),

hits as (

    select * from source
    where type = '{{ hit_type }}'
    {%- if humans_only %}
        and not coalesce(is_bot, false)
    {%- endif %}
    {%- if where %}
        and {{ where }}
    {%- endif %}

),

renamed as (

    select
        {{ touchline.hit_columns() }},

        -- {{ hit_type }}
        {{ own_columns }}{{ "," if own_columns and not own_columns.endswith(",") }}

        -- context
        {{ touchline.hit_context_columns(with_is_bot=not humans_only) }}

    from hits

)

select * from renamed
{%- endmacro %}


{#- The columns every hit staging view starts with (ids, timestamps, page). -#}
{% macro hit_columns() -%}
        -- ids
        hit_id,
        account,
        visitor_id,
        session_id as client_session_id,
        user_id,

        -- timestamps
        event_at,
        event_date,
        received_at,

        -- page
        url as page_url,
        {{ touchline.normalize_host(touchline.url_host('url')) }} as page_host
{%- endmacro %}


{#- The columns every hit staging view ends with; is_bot only where bots are kept. -#}
{% macro hit_context_columns(with_is_bot=false) -%}
        {%- if with_is_bot %}
        is_bot,
        {%- endif %}
        cookie_mode,
        schema_level,
        dnt as is_dnt,
        loaded_at
{%- endmacro %}


{#- The ad an impression showed or a redirect clicked through. -#}
{% macro hit_ad_columns() -%}
        {{ touchline.json_text('properties', 'campaign') }} as campaign,
        {{ touchline.json_text('properties', 'creative') }} as creative,
        {{ touchline.json_text('properties', 'placement') }} as placement
{%- endmacro %}
