{#-
    The ad networks' click ids: the one list in the dbt project (the hit
    contract, touchline/contract.py, lands the same columns on raw_hits).
    Everything that names click ids goes through these macros: the staged
    pageviews, int_sessions' campaign key and columns, the channel rules'
    source / medium / click_id, and the ad platform a session points to.

    Each entry:
      name         the column, in the order the models carry the columns;
      rank         precedence when a session has several (session_click_id);
      google       a Google auto-tagging id: it says google / cpc whatever
                   the utm parameters say (as GA4 does with auto-tagging);
      source       the source it stands for when the landing page has no
                   utm_source / utm_medium (none: fbclid, which Meta adds to
                   organic links too, says nothing about payment);
      ad_platform  the ad platform (var ad_platforms) whose campaigns it
                   points to, none when Touchline pulls no cost for it.
-#}
{% macro click_ids() -%}
    {{ return([
        {'name': 'gclid', 'rank': 1, 'google': true, 'source': 'google', 'ad_platform': 'google_ads'},
        {'name': 'msclkid', 'rank': 5, 'google': false, 'source': 'bing', 'ad_platform': 'microsoft_ads'},
        {'name': 'dclid', 'rank': 4, 'google': true, 'source': 'google', 'ad_platform': none},
        {'name': 'wbraid', 'rank': 2, 'google': true, 'source': 'google', 'ad_platform': 'google_ads'},
        {'name': 'gbraid', 'rank': 3, 'google': true, 'source': 'google', 'ad_platform': 'google_ads'},
        {'name': 'fbclid', 'rank': 6, 'google': false, 'source': none, 'ad_platform': 'meta'},
        {'name': 'ttclid', 'rank': 7, 'google': false, 'source': 'tiktok', 'ad_platform': 'tiktok'},
        {'name': 'li_fat_id', 'rank': 8, 'google': false, 'source': 'linkedin', 'ad_platform': none},
    ]) }}
{%- endmacro %}

{#- The click ids in precedence order (rank). -#}
{% macro _click_ids_by_rank() -%}
    {{ return(touchline.click_ids() | sort(attribute='rank')) }}
{%- endmacro %}

{#- The click id column names, in column order. -#}
{% macro click_id_names() -%}
    {%- set names = [] -%}
    {%- for click_id in touchline.click_ids() -%}
        {%- do names.append(click_id.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The click id columns for a select list: "gclid, msclkid, ..." (no
    trailing comma), each qualified by `prefix`. -#}
{% macro click_id_columns(prefix='') -%}
    {%- for name in touchline.click_id_names() %}
        {{ prefix }}{{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- The staged click ids: trimmed, NULL when empty (stg_hits__pageviews). -#}
{% macro staged_click_id_columns() -%}
    {%- for name in touchline.click_id_names() %}
        nullif(trim({{ name }}), '') as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- Google's auto-tagging click ids, in precedence order. -#}
{% macro google_click_ids() -%}
    {%- set names = [] -%}
    {%- for click_id in touchline._click_ids_by_rank() if click_id.google -%}
        {%- do names.append(click_id.name) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The other networks' click ids that name a source: {name: source}, in
    precedence order. -#}
{% macro network_click_ids() -%}
    {%- set sources = {} -%}
    {%- for click_id in touchline._click_ids_by_rank() if not click_id.google and click_id.source -%}
        {%- do sources.update({click_id.name: click_id.source}) -%}
    {%- endfor -%}
    {{ return(sources) }}
{%- endmacro %}

{#- The ad platforms the click ids point to: [(platform, [names])], in
    precedence order. -#}
{% macro click_id_ad_platforms() -%}
    {%- set platforms = [] -%}
    {%- set names = {} -%}
    {%- for click_id in touchline._click_ids_by_rank() if click_id.ad_platform -%}
        {%- if click_id.ad_platform not in names -%}
            {%- do platforms.append(click_id.ad_platform) -%}
            {%- do names.update({click_id.ad_platform: []}) -%}
        {%- endif -%}
        {%- do names[click_id.ad_platform].append(click_id.name) -%}
    {%- endfor -%}
    {%- set pairs = [] -%}
    {%- for platform in platforms -%}
        {%- do pairs.append((platform, names[platform])) -%}
    {%- endfor -%}
    {{ return(pairs) }}
{%- endmacro %}

{#- (a is not null or b is not null ...) over `columns`, qualified by `prefix`. -#}
{% macro any_present(columns, prefix='') -%}
    ({% for column in columns %}{{ prefix }}{{ column }} is not null{{ " or " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The name of the first click id present, by precedence (a field of the
    account rules). -#}
{% macro session_click_id(prefix='') -%}
    case
        {%- for click_id in touchline._click_ids_by_rank() %}
        when {{ prefix }}{{ click_id.name }} is not null then '{{ click_id.name }}'
        {%- endfor %}
    end
{%- endmacro %}
