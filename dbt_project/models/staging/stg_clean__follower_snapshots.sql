with

source as (

    select * from {{ source('clean', 'follower_snapshots') }}

),

renamed as (

    select
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(fetched_at as {{ dbt.type_timestamp() }}) as fetched_at,
        cast(fetch_date as date) as fetch_date,
        cast(followers as {{ dbt.type_bigint() }}) as followers,
        cast(origin as {{ dbt.type_string() }}) as origin,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_line as {{ dbt.type_int() }}) as source_line,
        cast(handle as {{ dbt.type_string() }}) as handle

    from source

)

select * from renamed
