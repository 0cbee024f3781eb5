with

source as (

    select * from {{ source('registry', 'edition_platforms') }}

),

renamed as (

    select
        cast(edition_id as {{ dbt.type_string() }}) as edition_id,
        cast(platform as {{ dbt.type_string() }}) as platform

    from source

)

select * from renamed
