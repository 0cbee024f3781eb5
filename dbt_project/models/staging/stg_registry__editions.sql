with

source as (

    select * from {{ source('registry', 'editions') }}

),

renamed as (

    select
        cast(edition_id as {{ dbt.type_string() }}) as edition_id,
        cast(name as {{ dbt.type_string() }}) as edition_name,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(methodology_version as {{ dbt.type_string() }}) as methodology_version

    from source

)

select * from renamed
