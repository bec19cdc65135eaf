{#- The collector's validation failures (what it rejected or reduced, and why).
    Bots kept. The common hit columns: macros/touchline/hits.sql. -#}
{% call touchline.stg_hits('validation_failure', humans_only=false) -%}
        {{ json_text('properties', 'reason') }} as reason,
        {{ json_text('properties', 'level') }} as failed_level,
        {{ json_text('properties', 'failed_hit_id') }} as failed_hit_id,
        {{ json_text('properties', 'failed_type') }} as failed_type,
        {{ json_text('properties', 'browser') }} as browser,
        {{ json_text('properties', 'os') }} as os
{%- endcall %}
