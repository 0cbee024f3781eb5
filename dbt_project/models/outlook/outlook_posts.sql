-- Every post of the edition as the award counts it (int_posts_scored: distinct posts, the chosen
-- snapshot, published in the window, of the edition's institution accounts) with what the
-- outlook adds: its permalink and whether it was made with the institution's leader
-- (docs/outlook.md), on the same platform, through a leader account of the registry:
--   collab_coauthor    an Instagram collaborative post whose collaborators name a leader account
--                      (handle or id)
--   collab_mention     the post @mentions or tags a leader account (handle or id)
--   collab_same_media  a leader account posted the same media (media_ref), at any time
-- has_leader_account: the institution has a leader account on the post's platform (only those
-- posts can be collaboration posts; outlook_collaboration compares inside them).

with

posts as (

    select * from {{ ref('int_posts_scored') }}
    where edition_id = {{ edition_id() }}

),

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

-- the details of the edition's posts: a post seen in two cleaning slices has two rows; the latest
-- fetched by the snapshot cutoff wins (else the earliest later one), so that later pulls never
-- change a closed edition's outlook, as they never change its rankings
details as (

    select
        post_details.platform,
        post_details.account_id,
        post_details.post_id,
        post_details.permalink,
        post_details.mentions,
        post_details.collaborators,
        post_details.media_ref

    from {{ ref('stg_clean__post_details') }} as post_details
    inner join (  -- noqa: ST05
        select distinct
            platform,
            account_id,
            post_id
        from posts
    ) as edition_posts
        on post_details.platform = edition_posts.platform
        and post_details.account_id = edition_posts.account_id
        and post_details.post_id = edition_posts.post_id
    cross join edition_params
    qualify row_number() over (
            partition by post_details.platform, post_details.account_id, post_details.post_id
            order by
                case when post_details.fetched_at <= edition_params.snapshot_cutoff_at then post_details.fetched_at end
                desc nulls last,
                post_details.fetched_at asc,
                post_details.source_file asc,
                post_details.source_line asc,
                post_details.source_position asc
        ) = 1

),

leaders as (

    select
        institution_id,
        platform,
        account_id,
        lower(account_id) as id_key,
        lower(ltrim(handle, '@')) as handle_key

    from {{ ref('stg_registry__leader_accounts') }}

),

-- media the leader accounts posted (any time: the same media may be posted days apart)
leader_media as (

    select distinct
        leaders.institution_id,
        leaders.platform,
        leader_details.media_ref

    from {{ ref('stg_clean__post_details') }} as leader_details
    inner join leaders
        on leader_details.platform = leaders.platform
        and leader_details.account_id = leaders.account_id
    where leader_details.media_ref is not null

),

flags as (

    select
        posts.platform,
        posts.account_id,
        posts.post_id,
        {{ dbt.bool_or("list_contains(details.collaborators, leaders.handle_key) "
                       "or list_contains(details.collaborators, leaders.id_key)") }} as collab_coauthor,
        {{ dbt.bool_or("list_contains(details.mentions, leaders.handle_key) "
                       "or list_contains(details.mentions, leaders.id_key)") }} as collab_mention

    from posts
    inner join details
        on posts.platform = details.platform
        and posts.account_id = details.account_id
        and posts.post_id = details.post_id
    inner join leaders
        on posts.institution_id = leaders.institution_id
        and posts.platform = leaders.platform
    group by posts.platform, posts.account_id, posts.post_id

),

leader_platforms as (

    select distinct
        institution_id,
        platform
    from leaders

),

final as (

    select
        posts.edition_id,
        posts.cluster,
        posts.institution_id,
        posts.platform,
        posts.account_id,
        posts.post_id,
        posts.published_at,
        posts.media_kind,
        posts.interactions,
        posts.views,
        posts.audience,
        posts.er,
        details.permalink,
        details.media_ref,
        leader_platforms.institution_id is not null as has_leader_account,
        coalesce(flags.collab_coauthor, false) as collab_coauthor,
        coalesce(flags.collab_mention, false) as collab_mention,
        leader_media.media_ref is not null as collab_same_media,
        coalesce(flags.collab_coauthor, false)
        or coalesce(flags.collab_mention, false)
        or leader_media.media_ref is not null as is_collaboration,
        posts.source_file,
        posts.source_line,
        posts.source_position

    from posts
    left join details
        on posts.platform = details.platform
        and posts.account_id = details.account_id
        and posts.post_id = details.post_id
    left join flags
        on posts.platform = flags.platform
        and posts.account_id = flags.account_id
        and posts.post_id = flags.post_id
    left join leader_platforms
        on posts.institution_id = leader_platforms.institution_id
        and posts.platform = leader_platforms.platform
    left join leader_media
        on posts.institution_id = leader_media.institution_id
        and posts.platform = leader_media.platform
        and details.media_ref = leader_media.media_ref

)

select * from final
