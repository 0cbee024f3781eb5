with

source as (

    select * from {{ source('registry', 'methodology_platform_weights') }}

),

renamed as (

    select
        cast(methodology_version as {{ dbt.type_string() }}) as methodology_version,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(weight as double) as platform_weight

    from source

)

select * from renamed
