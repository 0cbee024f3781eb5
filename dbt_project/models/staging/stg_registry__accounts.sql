with

source as (

    select * from {{ source('registry', 'accounts') }}

),

renamed as (

    select
        cast(institution_id as {{ dbt.type_string() }}) as institution_id,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(handle as {{ dbt.type_string() }}) as handle,
        cast(role as {{ dbt.type_string() }}) as account_role

    from source

)

select * from renamed
