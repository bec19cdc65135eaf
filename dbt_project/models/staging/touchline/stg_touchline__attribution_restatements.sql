with

source as (

    select * from {{ source('touchline_computed', 'attribution_restatements') }}

),

renamed as (

    select
        account,
        cast(restate_start as date) as restate_start,
        cast(restate_end as date) as restate_end,
        planned_at
    from source

)

select * from renamed
