-- An institution's accounts on one platform pooled into one (their posts together, means over
-- the pooled posts; docs/methodology.md choice 7), with the raw measures of every category
-- and the eligibility rules (METHODOLOGY.md "Per account and platform"). One row per
-- (edition, institution, platform) with >= 1 post in the window.

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

posts as (

    select * from {{ ref('int_posts_scored') }}
    where edition_id = {{ edition_id() }}

),

pooled_accounts as (

    select
        edition_id,
        institution_id,
        platform,
        {{ dbt.listagg('account_id', "','", 'order by account_id') }} as account_ids

    from (
        select distinct
            edition_id,
            institution_id,
            platform,
            account_id
        from posts
    ) as accounts
    group by edition_id, institution_id, platform

),

measures as (

    select
        edition_id,
        cluster,
        institution_id,
        platform,
        count(*) as posts,
        count(distinct consistency_block) as active_blocks,
        count(er) as er_posts,
        {{ ordered_avg("er") }} as mean_er,
        count(case when media_kind = 'image' then 1 end) as image_posts,
        count(case when media_kind = 'image' then er end) as image_er_posts,
        {{ ordered_avg("case when media_kind = 'image' then er end") }} as mean_image_er,
        count(case when media_kind = 'video' then 1 end) as video_posts,
        count(case when media_kind = 'video' then er end) as video_er_posts,
        {{ ordered_avg("case when media_kind = 'video' then er end") }} as mean_video_er,
        -- hidden likes do not remove a post from reach: reach does not use interactions
        count(case when media_kind = 'video' then reach end) as video_reach_posts,
        {{ ordered_avg("case when media_kind = 'video' then reach end") }} as mean_video_reach,
        count(case when interactions_hidden then 1 end) as interactions_hidden_posts,
        count(case when unknown_audience then 1 end) as unknown_audience_posts,
        count(case when late_snapshot then 1 end) as late_snapshot_posts

    from posts
    group by edition_id, cluster, institution_id, platform

),

final as (

    select
        measures.edition_id,
        measures.cluster,
        measures.institution_id,
        measures.platform,
        pooled_accounts.account_ids,
        measures.posts,
        measures.active_blocks,
        edition_params.consistency_blocks,
        cast(measures.active_blocks as double) / edition_params.consistency_blocks as consistency,
        measures.er_posts,
        measures.mean_er,
        measures.image_posts,
        measures.image_er_posts,
        measures.mean_image_er,
        measures.video_posts,
        measures.video_er_posts,
        measures.mean_video_er,
        measures.video_reach_posts,
        measures.mean_video_reach,
        measures.interactions_hidden_posts,
        measures.unknown_audience_posts,
        measures.late_snapshot_posts,
        measures.posts >= 1 as eligible_most_active,
        measures.er_posts >= edition_params.min_posts as eligible_most_engaging,
        measures.image_er_posts >= edition_params.min_posts as eligible_best_use_of_image,
        measures.video_er_posts >= edition_params.min_posts as eligible_best_use_of_video

    from measures
    inner join pooled_accounts
        on measures.edition_id = pooled_accounts.edition_id
        and measures.institution_id = pooled_accounts.institution_id
        and measures.platform = pooled_accounts.platform
    inner join edition_params
        on measures.edition_id = edition_params.edition_id

)

select * from final
