with

source as (

    select * from {{ source('registry', 'methodology') }}

),

renamed as (

    select
        cast(methodology_version as {{ dbt.type_string() }}) as methodology_version,
        cast(settle_days as {{ dbt.type_int() }}) as settle_days,
        cast(min_posts as {{ dbt.type_int() }}) as min_posts,
        cast(activity_posts_weight as double) as activity_posts_weight,
        cast(activity_consistency_weight as double) as activity_consistency_weight,
        cast(consistency_block_days as {{ dbt.type_int() }}) as consistency_block_days,
        cast(video_er_weight as double) as video_er_weight,
        cast(video_reach_weight as double) as video_reach_weight,
        cast(nominees_per_category as {{ dbt.type_int() }}) as nominees_per_category,
        cast(best_account_weight_most_active as double) as best_account_weight_most_active,
        cast(best_account_weight_most_engaging as double) as best_account_weight_most_engaging,
        cast(best_account_weight_best_use_of_image as double) as best_account_weight_best_use_of_image,
        cast(best_account_weight_best_use_of_video as double) as best_account_weight_best_use_of_video

    from source

)

select * from renamed
