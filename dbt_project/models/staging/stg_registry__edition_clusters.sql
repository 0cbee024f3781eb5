with

source as (

    select * from {{ source('registry', 'edition_clusters') }}

),

renamed as (

    select
        cast(edition_id as {{ dbt.type_string() }}) as edition_id,
        cast(cluster as {{ dbt.type_string() }}) as cluster

    from source

)

select * from renamed
