-- The edition being built with its window, snapshot cutoff, number of consistency blocks and
-- every constant of its methodology version (one row). No constant is written here: they
-- come from registry.methodology through the edition's methodology_version.

with

editions as (

    select * from {{ ref('stg_registry__editions') }}
    where edition_id = {{ edition_id() }}

),

methodology as (

    select * from {{ ref('stg_registry__methodology') }}

),

edition_platforms as (

    select
        edition_id,
        count(*) as platform_count

    from {{ ref('stg_registry__edition_platforms') }}
    where edition_id = {{ edition_id() }}
    group by edition_id

),

edition_clusters as (

    select
        edition_id,
        count(*) as cluster_count

    from {{ ref('stg_registry__edition_clusters') }}
    where edition_id = {{ edition_id() }}
    group by edition_id

),

windows as (

    select
        editions.*,
        cast(editions.start_date as {{ dbt.type_timestamp() }}) as window_start_at,
        cast(editions.end_date as {{ dbt.type_timestamp() }}) as window_end_at,
        -- the datediff macro expands past 120 characters: not a line a reader sees
        {{ dbt.datediff('editions.start_date', 'editions.end_date', 'day') }} as window_days  -- noqa: LT05

    from editions

),

final as (

    select
        windows.edition_id,
        windows.edition_name,
        windows.methodology_version,
        windows.start_date,
        windows.end_date,
        windows.window_start_at,
        windows.window_end_at,
        -- docs/methodology.md choice 1: end + settle_days at 00:00 WIB, inclusive
        {{ dbt.dateadd('day', 'methodology.settle_days', 'windows.window_end_at') }} as snapshot_cutoff_at,
        windows.window_days,
        -- docs/methodology.md choice 8: ceil(window days / block days), a last partial block counts
        cast(
            ceil(cast(windows.window_days as double) / methodology.consistency_block_days)
            as {{ dbt.type_int() }}
        ) as consistency_blocks,
        coalesce(edition_platforms.platform_count, 0) as platform_count,
        coalesce(edition_clusters.cluster_count, 0) as cluster_count,
        methodology.settle_days,
        methodology.min_posts,
        methodology.consistency_block_days,
        methodology.activity_posts_weight,
        methodology.activity_consistency_weight,
        methodology.video_er_weight,
        methodology.video_reach_weight,
        methodology.nominees_per_category,
        methodology.best_account_weight_most_active,
        methodology.best_account_weight_most_engaging,
        methodology.best_account_weight_best_use_of_image,
        methodology.best_account_weight_best_use_of_video

    from windows
    inner join methodology
        on windows.methodology_version = methodology.methodology_version
    left join edition_platforms
        on windows.edition_id = edition_platforms.edition_id
    left join edition_clusters
        on windows.edition_id = edition_clusters.edition_id

)

select * from final
