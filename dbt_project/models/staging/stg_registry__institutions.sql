with

source as (

    select * from {{ source('registry', 'institutions') }}

),

renamed as (

    select
        cast(institution_id as {{ dbt.type_string() }}) as institution_id,
        cast(name as {{ dbt.type_string() }}) as institution_name,
        cast(cluster as {{ dbt.type_string() }}) as cluster

    from source

)

select * from renamed
