{#- Pageviews of human visitors, with the page and referrer hosts extracted
    and empty campaign parameters and click ids turned into NULL. A pageview
    that landed at the fallback level without a usable URL cannot be placed
    on a page or a session's landing page: it is left out.
    The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('pageview', where='url is not null') -%}
        {{ url_path('url') }} as page_path,
        title as page_title,

        -- referrer
        nullif(trim(referrer), '') as referrer_url,
        {{ normalize_host(url_host('referrer')) }} as referrer_host,

        -- campaign parameters (trimmed, case kept)
        nullif(trim(utm_source), '') as utm_source,
        nullif(trim(utm_medium), '') as utm_medium,
        nullif(trim(utm_campaign), '') as utm_campaign,
        nullif(trim(utm_term), '') as utm_term,
        nullif(trim(utm_content), '') as utm_content,

        -- click ids (macros/touchline/click_ids.sql)
        {{ touchline.staged_click_id_columns() }}
{%- endcall %}
