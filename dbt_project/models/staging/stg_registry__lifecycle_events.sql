with

source as (

    select * from {{ source('registry', 'lifecycle_events') }}

),

renamed as (

    select
        cast(institution_id as {{ dbt.type_string() }}) as institution_id,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(handle as {{ dbt.type_string() }}) as handle,
        cast(event_date as date) as event_date,
        cast(event as {{ dbt.type_string() }}) as registry_event,
        cast(into_institution_id as {{ dbt.type_string() }}) as into_institution_id,
        cast(previous_name as {{ dbt.type_string() }}) as previous_name,
        cast(note as {{ dbt.type_string() }}) as note

    from source

)

select * from renamed
