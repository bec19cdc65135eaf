{#- Fails for every row where the SQL expression is not true (NULL fails). -#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
