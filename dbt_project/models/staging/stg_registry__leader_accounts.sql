with

source as (

    select * from {{ source('registry', 'leader_accounts') }}

),

renamed as (

    select
        cast(institution_id as {{ dbt.type_string() }}) as institution_id,
        cast(leader_name as {{ dbt.type_string() }}) as leader_name,
        cast(leader_title as {{ dbt.type_string() }}) as leader_title,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(handle as {{ dbt.type_string() }}) as handle

    from source

)

select * from renamed
