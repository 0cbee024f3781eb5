with

source as (

    select * from {{ source('clean', 'post_details') }}

),

renamed as (

    select
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(post_id as {{ dbt.type_string() }}) as post_id,
        cast(fetched_at as {{ dbt.type_timestamp() }}) as fetched_at,
        cast(permalink as {{ dbt.type_string() }}) as permalink,
        mentions,
        collaborators,
        cast(media_ref as {{ dbt.type_string() }}) as media_ref,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_line as {{ dbt.type_int() }}) as source_line,
        cast(source_position as {{ dbt.type_int() }}) as source_position

    from source

)

select * from renamed
