{#- What a sale is, once for every model that counts sales: a human's sale hit
    with an order id and a revenue; an order sent again (a reloaded thank-you
    page) is one sale, on its first send (earliest event time, then lowest
    hit_id).

    Emits two CTEs for the model's `with` list: `first_orders` (each order's
    first send, over all of the account's days, so an order first sent before
    the run's days is not counted again) and `sales` (the rows of the model's
    own `sale_hits` CTE that are first sends, hit_number = 1 for the one to
    keep). `sale_hits` must have account, hit_id, order_id and `at_column`. -#}
{% macro order_first_sends(at_column='event_at') -%}
first_orders as (

    select account, order_id, min(event_at) as first_at
    from {{ ref('stg_hits__sales') }}
    where {{ account_filter() }}
        and not coalesce(is_bot, false)
        and order_id is not null
        and revenue is not null
    group by account, order_id

),

sales as (

    select
        sale_hits.*,
        row_number() over (
            partition by sale_hits.account, sale_hits.order_id order by sale_hits.hit_id
        ) as hit_number
    from sale_hits
    inner join first_orders
        on first_orders.account = sale_hits.account
        and first_orders.order_id = sale_hits.order_id
        and first_orders.first_at = sale_hits.{{ at_column }}

)
{%- endmacro %}
