with

source as (

    select * from {{ source('clean', 'quarantine') }}

),

renamed as (

    select
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_line as {{ dbt.type_int() }}) as source_line,
        cast(source_position as {{ dbt.type_int() }}) as source_position,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(kind as {{ dbt.type_string() }}) as envelope_kind,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(fetch_date as date) as fetch_date,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(raw as {{ dbt.type_string() }}) as raw_text

    from source

)

select * from renamed
