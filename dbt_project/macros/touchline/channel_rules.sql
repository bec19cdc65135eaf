{#-
    Channel classification of a session (doc block "channel_rules"):
    1. the session's source, medium and campaign, GA4-style, from its first
       pageview's utm_* parameters, click ids and referrer
       (session_source / session_medium / session_campaign);
    2. the source's category from the seed channel_source_categories;
    3. GA4's default channel group (ga4_default_channel);
    4. the account's own rules, tried first (int_sessions joins them).
    Keep models/docs.md in step.
-#}

{#- The click ids (google_click_ids, network_click_ids, session_click_id,
    any_present) are in click_ids.sql. -#}

{#- Expects, qualified by `prefix`: utm_source, utm_medium, utm_campaign (as
    staged: trimmed, NULL when empty), the click ids, external_referrer_host
    (the referrer's host when it is not the landing page's own) and
    referrer_category / referrer_search_engine (its row in the seed). -#}
{% macro session_source(prefix='') -%}
    case
        when {{ touchline.any_present(touchline.google_click_ids(), prefix) }} then 'google'
        when {{ prefix }}utm_source is not null then lower({{ prefix }}utm_source)
        when {{ prefix }}utm_medium is not null then '(not set)'
        {%- for column, source in touchline.network_click_ids().items() %}
        when {{ prefix }}{{ column }} is not null then '{{ source }}'
        {%- endfor %}
        -- any utm parameter makes a campaign session: what it lacks is (not set)
        when {{ prefix }}utm_campaign is not null then '(not set)'
        when {{ prefix }}external_referrer_host is not null
            then coalesce({{ prefix }}referrer_search_engine, {{ prefix }}external_referrer_host)
        else '(direct)'
    end
{%- endmacro %}

{% macro session_medium(prefix='') -%}
    case
        when {{ touchline.any_present(touchline.google_click_ids(), prefix) }} then 'cpc'
        when {{ prefix }}utm_medium is not null then lower({{ prefix }}utm_medium)
        when {{ prefix }}utm_source is not null then '(not set)'
        when {{ touchline.any_present(touchline.network_click_ids().keys() | list, prefix) }} then 'cpc'
        when {{ prefix }}utm_campaign is not null then '(not set)'
        when {{ prefix }}external_referrer_host is not null
            then case when {{ prefix }}referrer_category = 'search' then 'organic' else 'referral' end
        else '(none)'
    end
{%- endmacro %}

{% macro session_campaign(prefix='') -%}
    coalesce(
        {{ prefix }}utm_campaign,
        case
            when {{ prefix }}utm_source is not null or {{ prefix }}utm_medium is not null
                or {{ touchline.any_present(touchline.google_click_ids() + (touchline.network_click_ids().keys() | list), prefix) }}
                then '(not set)'
            when {{ prefix }}external_referrer_host is not null
                then case when {{ prefix }}referrer_category = 'search' then '(organic)' else '(referral)' end
            else '(direct)'
        end
    )
{%- endmacro %}

{#- GA4's default channel group, in GA4's order (first match wins), on the
    columns source, medium (lower-case), campaign and source_category
    (search, social, video, shopping or NULL), qualified by `prefix`. -#}
{% macro ga4_channels() -%}
    {{ return(['Direct', 'Cross-network', 'Paid Shopping', 'Paid Search', 'Paid Social', 'Paid Video', 'Display', 'Paid Other', 'Organic Shopping', 'Organic Social', 'Organic Video', 'Organic Search', 'Referral', 'Email', 'Affiliates', 'Audio', 'SMS', 'Mobile Push Notifications', 'Unassigned']) }}
{%- endmacro %}

{#- The channels that mean a paid ad click, whatever an account's own rules rename. -#}
{% macro paid_channels() -%}
    {{ return(['Cross-network', 'Paid Shopping', 'Paid Search', 'Paid Social', 'Paid Video', 'Display', 'Paid Other']) }}
{%- endmacro %}

{% macro _sql_list(values) -%}
    ({% for value in values %}'{{ value }}'{{ ", " if not loop.last }}{% endfor %})
{%- endmacro -%}

{% macro ga4_default_channel(prefix='') -%}
    {%- set source = prefix ~ 'source' -%}
    {%- set medium = prefix ~ 'medium' -%}
    {%- set campaign = 'lower(' ~ prefix ~ 'campaign)' -%}
    {%- set category = prefix ~ 'source_category' -%}
    {%- set paid_medium = touchline.regexp_like(medium, '^(.*cp.*|ppc|retargeting|paid.*)$') -%}
    {%- set shop_campaign = touchline.regexp_like(campaign, '^(.*(([^a-df-z]|^)shop|shopping).*)$') -%}
    {%- set email = touchline._sql_list(['email', 'e-mail', 'e_mail', 'e mail']) -%}
    case
        when {{ source }} = '(direct)' and {{ medium }} in ('(none)', '(not set)') then 'Direct'
        when {{ campaign }} like '%cross-network%' then 'Cross-network'
        when ({{ category }} = 'shopping' or {{ shop_campaign }}) and {{ paid_medium }} then 'Paid Shopping'
        when {{ category }} = 'search' and {{ paid_medium }} then 'Paid Search'
        when {{ category }} = 'social' and {{ paid_medium }} then 'Paid Social'
        when {{ category }} = 'video' and {{ paid_medium }} then 'Paid Video'
        when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm') then 'Display'
        when {{ paid_medium }} then 'Paid Other'
        when {{ category }} = 'shopping' or {{ shop_campaign }} then 'Organic Shopping'
        when {{ category }} = 'social'
            or {{ medium }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
            then 'Organic Social'
        when {{ category }} = 'video' or {{ medium }} like '%video%' then 'Organic Video'
        when {{ category }} = 'search' or {{ medium }} = 'organic' then 'Organic Search'
        when {{ medium }} in ('referral', 'app', 'link') then 'Referral'
        when {{ source }} in {{ email }} or {{ medium }} in {{ email }} then 'Email'
        when {{ medium }} = 'affiliate' then 'Affiliates'
        when {{ medium }} = 'audio' then 'Audio'
        when {{ source }} = 'sms' or {{ medium }} = 'sms' then 'SMS'
        when {{ medium }} like '%push' or {{ medium }} like '%mobile%' or {{ medium }} like '%notification%'
            or {{ source }} = 'firebase'
            then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}

{#- The parent domain of a host (m.facebook.com -> facebook.com), NULL for a
    name without a dot. -#}
{% macro parent_domain(host) -%}
    case when position('.' in {{ host }}) > 0 then substring({{ host }}, position('.' in {{ host }}) + 1) end
{%- endmacro %}

{#- The accounts' own rules as CASE expressions, read from
    stg_touchline__channel_rules when the model runs (for the run's accounts)
    and written into the SQL: one pass over the sessions, no join.
    account_rules_case(fields, 'channel', default) gives the channel of the
    first rule that holds (else `default`); 'position' gives its
    rule_position (else NULL). `fields` maps each field name to its SQL
    expression (lower-case text). -#}
{% macro account_rules_case(fields, what, default='null') -%}
    {%- set rules = touchline._load_account_rules() -%}
    {%- if not rules -%}
        {{ default }}
    {%- else -%}
        case
        {%- for rule in rules %}
            when account = {{ touchline.sql_string(rule.account) }}
                and {% for c in rule.conditions %}{{ touchline._rule_condition(fields[c.field], c.operator, c.value) }}{{ " and " if not loop.last }}{% endfor %}
                then {{ touchline.sql_string(rule.channel) if what == 'channel' else rule.position }}
        {%- endfor %}
            else {{ default }}
        end
    {%- endif -%}
{%- endmacro %}

{% macro _load_account_rules() -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set query -%}
        select account, rule_position, condition_position, field, operator, value, channel
        from {{ ref('stg_touchline__channel_rules') }}
        where {{ touchline.account_filter('account') }}
        order by account, rule_position, condition_position
    {%- endset -%}
    {%- set rules = [] -%}
    {%- for row in run_query(query).rows -%}
        {%- if not rules or rules[-1].account != row[0] or rules[-1].position != row[1] -%}
            {%- do rules.append({'account': row[0], 'position': row[1], 'channel': row[6], 'conditions': []}) -%}
        {%- endif -%}
        {%- do rules[-1].conditions.append({'field': row[3], 'operator': row[4], 'value': row[5] or ''}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- A value as an SQL string literal (MySQL/MariaDB also escape backslashes). -#}
{% macro sql_string(value) -%}
    '{{ dbt.escape_single_quotes(value | string) }}'
{%- endmacro %}

{% macro _rule_condition(field, operator, value) -%}
    {%- if operator == 'equals' -%}
        ({{ field }} = {{ touchline.sql_string(value) }})
    {%- elif operator == 'not_equals' -%}
        ({{ field }} <> {{ touchline.sql_string(value) }})
    {%- elif operator == 'in' -%}
        ({{ field }} in ({% for item in value.split(',') %}{{ touchline.sql_string(item) }}{{ ", " if not loop.last }}{% endfor %}))
    {%- elif operator == 'contains' -%}
        (position({{ touchline.sql_string(value) }} in {{ field }}) > 0)
    {%- elif operator == 'starts_with' -%}
        (substring({{ field }}, 1, {{ value | length }}) = {{ touchline.sql_string(value) }})
    {%- elif operator == 'ends_with' -%}
        (right({{ field }}, {{ value | length }}) = {{ touchline.sql_string(value) }})
    {%- elif operator == 'regex' -%}
        ({{ touchline.regexp_like_column(field, touchline.sql_string(value)) }})
    {%- elif operator == 'present' -%}
        ({{ field }} is not null)
    {%- elif operator == 'absent' -%}
        ({{ field }} is null)
    {%- else -%}
        {{ exceptions.raise_compiler_error("unknown channel rule operator '" ~ operator ~ "'") }}
    {%- endif -%}
{%- endmacro %}
