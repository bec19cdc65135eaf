with

source as (

    select * from {{ source('touchline_computed', 'identity_map') }}

),

renamed as (

    select
        account,
        visitor_id,
        person_id
    from source

)

select * from renamed
