{{ config(tags=['cross_db']) }}

{#-
    The dispatched cross-database macros give the same answers on every
    warehouse. Returns one row per failing check. Strings are compared through
    their md5 so that a case-insensitive collation cannot hide a difference.
-#}

{%- set ts = timestamp_literal('2020-02-19 10:11:12') -%}
{%- set three_rows = "(select 'b' as x, 2 as n union all select 'a', 1 union all select 'c', 3) as t" -%}

{%- set string_checks = [
    ('concat', dbt.concat(["'a'", "'b'", "'c'"]), "'abc'"),
    ('hash', dbt.hash("'abc'"), "'900150983cd24fb0d6963f7d28e17f72'"),
    ('surrogate_key', surrogate_key(["'a'", "null"]), "'ec2a480b74b8e41c7581bccf3fcd273f'"),
    ('type_string', "cast(123 as " ~ dbt.type_string() ~ ")", "'123'"),
    ('split_part_2', dbt.split_part("'a,b,c'", "','", 2), "'b'"),
    ('split_part_last', dbt.split_part("'a,b,c'", "','", -1), "'c'"),
    ('split_part_beyond', "concat('x', " ~ dbt.split_part("'a,b,c'", "','", 4) ~ ")", "'x'"),
    ('listagg', "(select " ~ dbt.listagg('x', "','", 'order by x') ~ " from " ~ three_rows ~ ")", "'a,b,c'"),
    ('listagg_limit', "(select " ~ dbt.listagg('x', "','", 'order by n desc', 2) ~ " from " ~ three_rows ~ ")", "'c,b'"),
    ('any_value', "(select " ~ dbt.any_value("'same'") ~ " from " ~ three_rows ~ ")", "'same'"),
    ('cast_bool_to_text', dbt.cast_bool_to_text('1 = 1'), "'true'"),
    ('clean_text', clean_text("'  CPC '"), "'cpc'"),
    ('url_host', url_host("'https://user@WWW.Example.COM:8080/a/b?c=d#e'"), "'WWW.Example.COM'"),
    ('normalize_host', normalize_host(url_host("'https://user@WWW.Example.COM:8080/a/b?c=d#e'")), "'example.com'"),
    ('url_path', url_path("'https://www.example.com/a/b?c=d#e'"), "'/a/b'"),
    ('url_path_query_slash', url_path("'https://example.com?next=/x'"), "'/'"),
    ('url_host_query_slash', url_host("'https://example.com?next=https://other.org/'"), "'example.com'"),
    ('url_path_empty', url_path("'https://example.com'"), "'/'"),
] -%}

{%- set value_checks = [
    ('type_bigint', "cast('42' as " ~ dbt.type_bigint() ~ ")", "42"),
    ('type_float', "cast('1.5' as " ~ dbt.type_float() ~ ")", "1.5"),
    ('type_numeric', "cast('1.25' as " ~ dbt.type_numeric() ~ ")", "1.25"),
    ('length_characters', dbt.length("'héllo'"), "5"),
    ('escape_single_quotes', dbt.length("'" ~ dbt.escape_single_quotes("a'b\\c") ~ "'"), "5"),
    ('dateadd_day', dbt.dateadd('day', 1, timestamp_literal('2020-01-31 10:00:00')), timestamp_literal('2020-02-01 10:00:00')),
    ('dateadd_hour', dbt.dateadd('hour', -2, timestamp_literal('2020-01-01 01:00:00')), timestamp_literal('2019-12-31 23:00:00')),
    ('dateadd_month', to_date(dbt.dateadd('month', 1, "cast('2020-01-31' as date)")), "cast('2020-02-29' as date)"),
    ('datediff_day_boundary', dbt.datediff(timestamp_literal('2020-01-01 23:59:00'), timestamp_literal('2020-01-02 00:01:00'), 'day'), "1"),
    ('datediff_day_same', dbt.datediff(timestamp_literal('2020-01-02 00:01:00'), timestamp_literal('2020-01-02 23:59:00'), 'day'), "0"),
    ('datediff_hour', dbt.datediff(timestamp_literal('2020-01-01 10:59:00'), timestamp_literal('2020-01-01 11:01:00'), 'hour'), "1"),
    ('datediff_month', dbt.datediff("cast('2020-01-31' as date)", "cast('2020-02-01' as date)", 'month'), "1"),
    ('datediff_year', dbt.datediff("cast('2020-12-31' as date)", "cast('2021-01-01' as date)", 'year'), "1"),
    ('date_trunc_year', dbt.date_trunc('year', ts), timestamp_literal('2020-01-01 00:00:00')),
    ('date_trunc_quarter', dbt.date_trunc('quarter', timestamp_literal('2020-05-17 10:00:00')), timestamp_literal('2020-04-01 00:00:00')),
    ('date_trunc_month', dbt.date_trunc('month', ts), timestamp_literal('2020-02-01 00:00:00')),
    ('date_trunc_week', dbt.date_trunc('week', ts), timestamp_literal('2020-02-17 00:00:00')),
    ('date_trunc_day', dbt.date_trunc('day', ts), timestamp_literal('2020-02-19 00:00:00')),
    ('date_trunc_hour', dbt.date_trunc('hour', ts), timestamp_literal('2020-02-19 10:00:00')),
    ('last_day_month', dbt.last_day("cast('2020-02-10' as date)", 'month'), "cast('2020-02-29' as date)"),
    ('last_day_quarter', dbt.last_day("cast('2020-05-10' as date)", 'quarter'), "cast('2020-06-30' as date)"),
    ('last_day_year', dbt.last_day("cast('2020-05-10' as date)", 'year'), "cast('2020-12-31' as date)"),
    ('to_date', to_date(timestamp_literal('2020-02-19 23:59:59.999999')), "cast('2020-02-19' as date)"),
    ('date_literal', date_literal('2026-11-20'), "cast('2026-11-20' as date)"),
    ('timestamp_literal_fraction', seconds_between(timestamp_literal('2020-01-01T00:00:00'), timestamp_literal('2020-01-01 00:00:00.000001')), "0.000001"),
    ('seconds_between', seconds_between(timestamp_literal('2020-01-01 00:00:00'), timestamp_literal('2020-01-01 00:30:00.5')), "1800.5"),
    ('seconds_between_across_midnight', seconds_between(timestamp_literal('2020-01-01 23:59:59'), timestamp_literal('2020-01-02 00:00:01')), "2"),
] -%}

{%- set true_checks = [
    ('bool_or', "(select " ~ dbt.bool_or('n > 2') ~ " from " ~ three_rows ~ ")"),
    ('not_bool_or', "not (select " ~ dbt.bool_or('n > 3') ~ " from " ~ three_rows ~ ")"),
    ('regexp_like', regexp_like("'www.google.co.uk'", '^(.+[.])?google([.][a-z]{2,3}){1,2}$')),
    ('not_regexp_like', "not " ~ regexp_like("'notgoogle.com'", '^(.+[.])?google([.][a-z]{2,3}){1,2}$')),
    ('url_host_not_a_url', url_host("'not a url'") ~ " is null"),
] -%}

with

checks as (

    {% for name, actual, expected in string_checks %}
    select '{{ name }}' as check_name,
        case when {{ dbt.hash(actual) }} = {{ dbt.hash(expected) }} then 1 else 0 end as passed
    union all
    {% endfor %}
    {% for name, actual, expected in value_checks %}
    select '{{ name }}' as check_name,
        case when ({{ actual }}) = ({{ expected }}) then 1 else 0 end as passed
    union all
    {% endfor %}
    {% for name, expression in true_checks %}
    select '{{ name }}' as check_name,
        case when {{ expression }} then 1 else 0 end as passed
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select check_name from checks where passed = 0
