with

source as (

    select * from {{ source('clean', 'post_snapshots') }}

),

renamed as (

    select
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(post_id as {{ dbt.type_string() }}) as post_id,
        cast(published_at as {{ dbt.type_timestamp() }}) as published_at,
        cast(fetched_at as {{ dbt.type_timestamp() }}) as fetched_at,
        cast(fetch_date as date) as fetch_date,
        cast(media_kind as {{ dbt.type_string() }}) as media_kind,
        cast(likes as {{ dbt.type_bigint() }}) as likes,
        cast(comments as {{ dbt.type_bigint() }}) as comments,
        cast(shares as {{ dbt.type_bigint() }}) as shares,
        cast(quotes as {{ dbt.type_bigint() }}) as quotes,
        cast(interactions as {{ dbt.type_bigint() }}) as interactions,
        cast(interactions_hidden as {{ dbt.type_boolean() }}) as interactions_hidden,
        cast(views as {{ dbt.type_bigint() }}) as views,
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(source_line as {{ dbt.type_int() }}) as source_line,
        cast(source_position as {{ dbt.type_int() }}) as source_position

    from source

)

select * from renamed
