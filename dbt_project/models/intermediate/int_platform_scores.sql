-- One row per (edition, institution, platform of the edition, category) for every institution
-- ranked in the edition (>= 1 post in the window): the platform score of the four
-- per-platform categories (METHODOLOGY.md "Per account and platform"). Percentiles are taken
-- inside (cluster, platform) among the eligible pooled accounts; an account that is not
-- eligible, or has no post on the platform, scores 0 there (presence matters).
--   most_active        activity_posts_weight * pct(posts) + activity_consistency_weight * pct(consistency)
--   most_engaging      pct(mean er)
--   best_use_of_image  pct(mean er over image posts)
--   best_use_of_video  video_er_weight * pct(mean video er) + video_reach_weight * pct(mean reach),
--                      or pct(mean video er) where the account has no reach value; the reach
--                      percentile is among the eligible accounts that have one.
-- Also what an auditor needs: raw measures, percentiles, accounts, posts counted and left out.

{%- set population = 'edition_id, cluster, platform' %}

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

edition_platforms as (

    select * from {{ ref('int_edition_platforms') }}
    where edition_id = {{ edition_id() }}

),

measures as (

    select * from {{ ref('int_account_platform_measures') }}
    where edition_id = {{ edition_id() }}

),

posts as (

    select * from {{ ref('int_posts_scored') }}
    where edition_id = {{ edition_id() }}

),

ranked_institutions as (

    select distinct
        edition_id,
        cluster,
        institution_id
    from measures

),

platform_grid as (

    select
        ranked_institutions.edition_id,
        ranked_institutions.cluster,
        ranked_institutions.institution_id,
        edition_platforms.platform,
        edition_platforms.platform_weight

    from ranked_institutions
    inner join edition_platforms
        on ranked_institutions.edition_id = edition_platforms.edition_id

),

most_active_percentiles as (

    select
        edition_id,
        institution_id,
        platform,
        {{ percentile_score('posts', population) }} as posts_percentile,
        {{ percentile_score('consistency', population) }} as consistency_percentile

    from measures
    where eligible_most_active

),

most_engaging_percentiles as (

    select
        edition_id,
        institution_id,
        platform,
        {{ percentile_score('mean_er', population) }} as er_percentile

    from measures
    where eligible_most_engaging

),

image_percentiles as (

    select
        edition_id,
        institution_id,
        platform,
        {{ percentile_score('mean_image_er', population) }} as er_percentile

    from measures
    where eligible_best_use_of_image

),

video_er_percentiles as (

    select
        edition_id,
        institution_id,
        platform,
        {{ percentile_score('mean_video_er', population) }} as er_percentile

    from measures
    where eligible_best_use_of_video

),

video_reach_percentiles as (

    select
        edition_id,
        institution_id,
        platform,
        {{ percentile_score('mean_video_reach', population) }} as reach_percentile

    from measures
    where eligible_best_use_of_video
        and mean_video_reach is not null

),

pooled as (

    select
        platform_grid.*,
        measures.account_ids,
        measures.posts,
        measures.consistency,
        measures.er_posts,
        measures.mean_er,
        measures.image_er_posts,
        measures.mean_image_er,
        measures.video_er_posts,
        measures.mean_video_er,
        measures.mean_video_reach,
        coalesce(measures.eligible_most_active, false) as eligible_most_active,
        coalesce(measures.eligible_most_engaging, false) as eligible_most_engaging,
        coalesce(measures.eligible_best_use_of_image, false) as eligible_best_use_of_image,
        coalesce(measures.eligible_best_use_of_video, false) as eligible_best_use_of_video,
        most_active_percentiles.posts_percentile,
        most_active_percentiles.consistency_percentile,
        most_engaging_percentiles.er_percentile as engaging_er_percentile,
        image_percentiles.er_percentile as image_er_percentile,
        video_er_percentiles.er_percentile as video_er_percentile,
        video_reach_percentiles.reach_percentile as video_reach_percentile,
        edition_params.activity_posts_weight,
        edition_params.activity_consistency_weight,
        edition_params.video_er_weight,
        edition_params.video_reach_weight,
        edition_params.methodology_version

    from platform_grid
    inner join edition_params
        on platform_grid.edition_id = edition_params.edition_id
    left join measures
        on platform_grid.edition_id = measures.edition_id
        and platform_grid.institution_id = measures.institution_id
        and platform_grid.platform = measures.platform
    left join most_active_percentiles
        on platform_grid.edition_id = most_active_percentiles.edition_id
        and platform_grid.institution_id = most_active_percentiles.institution_id
        and platform_grid.platform = most_active_percentiles.platform
    left join most_engaging_percentiles
        on platform_grid.edition_id = most_engaging_percentiles.edition_id
        and platform_grid.institution_id = most_engaging_percentiles.institution_id
        and platform_grid.platform = most_engaging_percentiles.platform
    left join image_percentiles
        on platform_grid.edition_id = image_percentiles.edition_id
        and platform_grid.institution_id = image_percentiles.institution_id
        and platform_grid.platform = image_percentiles.platform
    left join video_er_percentiles
        on platform_grid.edition_id = video_er_percentiles.edition_id
        and platform_grid.institution_id = video_er_percentiles.institution_id
        and platform_grid.platform = video_er_percentiles.platform
    left join video_reach_percentiles
        on platform_grid.edition_id = video_reach_percentiles.edition_id
        and platform_grid.institution_id = video_reach_percentiles.institution_id
        and platform_grid.platform = video_reach_percentiles.platform

),

category_scores as (

    select
        edition_id,
        cluster,
        institution_id,
        platform,
        platform_weight,
        methodology_version,
        account_ids,
        posts,
        'most_active' as category,
        eligible_most_active as eligible,
        case
            when eligible_most_active
                then activity_posts_weight * posts_percentile
                    + activity_consistency_weight * consistency_percentile
            else cast(0 as double)
        end as score,
        'posts' as raw_measure_name,
        cast(coalesce(posts, 0) as double) as raw_value,
        posts_percentile as raw_percentile,
        'consistency' as secondary_measure_name,
        coalesce(consistency, cast(0 as double)) as secondary_raw_value,
        consistency_percentile as secondary_percentile,
        coalesce(posts, 0) as posts_counted
    from pooled

    union all

    select
        edition_id,
        cluster,
        institution_id,
        platform,
        platform_weight,
        methodology_version,
        account_ids,
        posts,
        'most_engaging' as category,
        eligible_most_engaging as eligible,
        case when eligible_most_engaging then engaging_er_percentile else cast(0 as double) end as score,
        'mean_er' as raw_measure_name,
        mean_er as raw_value,
        engaging_er_percentile as raw_percentile,
        cast(null as {{ dbt.type_string() }}) as secondary_measure_name,
        cast(null as double) as secondary_raw_value,
        cast(null as double) as secondary_percentile,
        coalesce(er_posts, 0) as posts_counted
    from pooled

    union all

    select
        edition_id,
        cluster,
        institution_id,
        platform,
        platform_weight,
        methodology_version,
        account_ids,
        posts,
        'best_use_of_image' as category,
        eligible_best_use_of_image as eligible,
        case when eligible_best_use_of_image then image_er_percentile else cast(0 as double) end as score,
        'mean_image_er' as raw_measure_name,
        mean_image_er as raw_value,
        image_er_percentile as raw_percentile,
        cast(null as {{ dbt.type_string() }}) as secondary_measure_name,
        cast(null as double) as secondary_raw_value,
        cast(null as double) as secondary_percentile,
        coalesce(image_er_posts, 0) as posts_counted
    from pooled

    union all

    select
        edition_id,
        cluster,
        institution_id,
        platform,
        platform_weight,
        methodology_version,
        account_ids,
        posts,
        'best_use_of_video' as category,
        eligible_best_use_of_video as eligible,
        case
            when not eligible_best_use_of_video then cast(0 as double)
            when video_reach_percentile is null then video_er_percentile
            else video_er_weight * video_er_percentile + video_reach_weight * video_reach_percentile
        end as score,
        'mean_video_er' as raw_measure_name,
        mean_video_er as raw_value,
        video_er_percentile as raw_percentile,
        'mean_video_reach' as secondary_measure_name,
        mean_video_reach as secondary_raw_value,
        video_reach_percentile as secondary_percentile,
        coalesce(video_er_posts, 0) as posts_counted
    from pooled

),

-- the posts each category looks at on a platform: all of them (most_active, most_engaging),
-- or those of its media kind
post_scopes as (

    select
        *,
        'most_active' as category
    from posts
    union all
    select
        *,
        'most_engaging' as category
    from posts
    union all
    select
        *,
        'best_use_of_image' as category
    from posts
    where media_kind = 'image'
    union all
    select
        *,
        'best_use_of_video' as category
    from posts
    where media_kind = 'video'

),

-- posts left out of an engagement mean (no er), by reason; most_active counts every post
scope_counts as (

    select
        edition_id,
        institution_id,
        platform,
        category,
        count(*) as posts_in_scope,
        {%- for reason in ['interactions_hidden', 'unknown_audience', 'unknown_views'] %}
        count(case when category <> 'most_active' and er_exclusion_reason = '{{ reason }}' then 1 end)
            as excluded_{{ reason }},
        {%- endfor %}
        count(case when interactions_hidden then 1 end) as flagged_interactions_hidden,
        count(case when late_snapshot then 1 end) as flagged_late_snapshot,
        count(case when unknown_audience then 1 end) as flagged_unknown_audience

    from post_scopes
    group by edition_id, institution_id, platform, category

),

final as (

    select
        category_scores.edition_id,
        category_scores.cluster,
        category_scores.institution_id,
        category_scores.platform,
        category_scores.category,
        category_scores.platform_weight,
        category_scores.eligible,
        category_scores.score,
        category_scores.raw_measure_name,
        category_scores.raw_value,
        category_scores.raw_percentile,
        category_scores.secondary_measure_name,
        category_scores.secondary_raw_value,
        category_scores.secondary_percentile,
        coalesce(category_scores.account_ids, '') as account_ids,
        coalesce(category_scores.posts, 0) as posts,
        coalesce(scope_counts.posts_in_scope, 0) as posts_in_scope,
        category_scores.posts_counted,
        coalesce(scope_counts.excluded_interactions_hidden, 0) as excluded_interactions_hidden,
        coalesce(scope_counts.excluded_unknown_audience, 0) as excluded_unknown_audience,
        coalesce(scope_counts.excluded_unknown_views, 0) as excluded_unknown_views,
        coalesce(scope_counts.excluded_interactions_hidden, 0)
        + coalesce(scope_counts.excluded_unknown_audience, 0)
        + coalesce(scope_counts.excluded_unknown_views, 0) as posts_excluded,
        coalesce(scope_counts.flagged_interactions_hidden, 0) as flagged_interactions_hidden,
        coalesce(scope_counts.flagged_late_snapshot, 0) as flagged_late_snapshot,
        coalesce(scope_counts.flagged_unknown_audience, 0) as flagged_unknown_audience,
        category_scores.methodology_version

    from category_scores
    left join scope_counts
        on category_scores.edition_id = scope_counts.edition_id
        and category_scores.institution_id = scope_counts.institution_id
        and category_scores.platform = scope_counts.platform
        and category_scores.category = scope_counts.category

)

select * from final
