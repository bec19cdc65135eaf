{#-
    The default channel rule (GA4-style), applied to a session's first hit.
    The rules, in order, are documented in models/docs.md (doc block
    "channel_rules"); keep the two in step. Per-account editable rules will
    replace the lists here.
-#}

{% macro channel_definitions() -%}
    {{ return({
        'paid_search_click_ids': ['gclid', 'msclkid', 'dclid', 'wbraid', 'gbraid'],
        'paid_search_mediums': ['cpc', 'ppc', 'paid', 'paidsearch', 'paid_search'],
        'paid_social_click_ids': ['fbclid', 'ttclid', 'li_fat_id'],
        'paid_social_mediums': ['paid_social', 'paidsocial', 'social_paid'],
        'display_mediums': ['display', 'cpm', 'banner'],
        'email_mediums': ['email', 'e-mail', 'newsletter'],
        'affiliate_mediums': ['affiliate'],
        'organic_social_mediums': ['social', 'social-network', 'social-media', 'sm', 'organic_social'],
        'organic_search_mediums': ['organic'],
        'social_host_pattern': '^(.+[.])?(facebook[.]com|instagram[.]com|t[.]co|twitter[.]com|x[.]com|linkedin[.]com|lnkd[.]in|pinterest[.]com|reddit[.]com|tiktok[.]com|youtube[.]com)$',
        'search_host_pattern': '^(.+[.])?((google|yandex)([.][a-z]{2,3}){1,2}|bing[.]com|duckduckgo[.]com|yahoo[.]com|ecosia[.]org|baidu[.]com)$',
        'channels': ['Paid Search', 'Paid Social', 'Display', 'Email', 'Affiliates', 'Organic Social', 'Organic Search', 'Other', 'Referral', 'Direct'],
    }) }}
{%- endmacro %}

{%- macro _sql_list(values) -%}
    ({% for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro -%}

{%- macro _any_present(columns, prefix) -%}
    ({% for column in columns %}{{ touchline.clean_text(prefix ~ column) }} is not null{{ " or " if not loop.last }}{% endfor %})
{%- endmacro -%}

{#- channel_grouping(): a CASE expression giving the channel of the row it is
    evaluated on (the session's first hit). Expects the staging column names
    (utm_medium, referrer_host, page_host and the click-id columns), both
    hosts already normalised by normalize_host(); `prefix` qualifies them
    (e.g. 'first_hit.'). -#}
{% macro channel_grouping(prefix='') -%}
    {%- set d = touchline.channel_definitions() -%}
    {%- set medium = touchline.clean_text(prefix ~ 'utm_medium') -%}
    {%- set referrer_host = prefix ~ 'referrer_host' -%}
    {%- set page_host = prefix ~ 'page_host' -%}
    case
        when {{ touchline._any_present(d.paid_search_click_ids, prefix) }}
            or {{ medium }} in {{ touchline._sql_list(d.paid_search_mediums) }}
            then 'Paid Search'
        when {{ touchline._any_present(d.paid_social_click_ids, prefix) }}
            or {{ medium }} in {{ touchline._sql_list(d.paid_social_mediums) }}
            then 'Paid Social'
        when {{ medium }} in {{ touchline._sql_list(d.display_mediums) }}
            then 'Display'
        when {{ medium }} in {{ touchline._sql_list(d.email_mediums) }}
            then 'Email'
        when {{ medium }} in {{ touchline._sql_list(d.affiliate_mediums) }}
            then 'Affiliates'
        when {{ medium }} in {{ touchline._sql_list(d.organic_social_mediums) }}
            or {{ touchline.regexp_like(referrer_host, d.social_host_pattern) }}
            then 'Organic Social'
        when {{ medium }} in {{ touchline._sql_list(d.organic_search_mediums) }}
            or {{ touchline.regexp_like(referrer_host, d.search_host_pattern) }}
            then 'Organic Search'
        when {{ medium }} is not null
            then 'Other'
        when {{ referrer_host }} is not null
            and ({{ page_host }} is null or {{ referrer_host }} <> {{ page_host }})
            then 'Referral'
        else 'Direct'
    end
{%- endmacro %}
