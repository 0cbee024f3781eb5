-- The jury packet: per category, cluster and nominee, its best posts of the edition by the
-- category's own measure (docs/outlook.md), top_posts of them (dbt var outlook_top_posts):
--   most_active, most_engaging, best_account   every post with an er, by er
--   best_use_of_image                          image posts with an er, by er
--   best_use_of_video                          video posts with views or an er, by views, then er
-- Ties: the earlier post, then platform, account and post id. Every row is a real post of the
-- edition (outlook_posts = int_posts_scored) with its permalink.

with

outlook_params as (

    select * from {{ ref('outlook_params') }}

),

nominees as (

    select
        edition_id,
        category,
        cluster,
        institution_id,
        institution_name,
        rank as nominee_rank

    from {{ ref('rankings') }}
    where edition_id = {{ edition_id() }}
        and nominee

),

posts as (

    select * from {{ ref('outlook_posts') }}
    where edition_id = {{ edition_id() }}

),

candidates as (

    select
        nominees.edition_id,
        nominees.category,
        nominees.cluster,
        nominees.institution_id,
        nominees.institution_name,
        nominees.nominee_rank,
        posts.platform,
        posts.account_id,
        posts.post_id,
        posts.published_at,
        posts.permalink,
        posts.media_kind,
        posts.interactions,
        posts.views,
        posts.er,
        posts.is_collaboration,
        case when nominees.category = 'best_use_of_video' and posts.views is not null then 'views' else 'er' end
            as measure_name

    from nominees
    inner join posts
        on nominees.institution_id = posts.institution_id
    where
        case nominees.category
            when 'best_use_of_image' then posts.media_kind = 'image' and posts.er is not null
            when
                'best_use_of_video'
                then posts.media_kind = 'video' and (posts.views is not null or posts.er is not null)
            else posts.er is not null
        end

),

ranked as (

    select
        *,
        row_number() over (
            partition by edition_id, category, institution_id
            order by
                case when category = 'best_use_of_video' then views end desc nulls last,
                er desc nulls last,
                published_at asc,
                platform asc,
                account_id asc,
                post_id asc
        ) as post_rank

    from candidates

),

final as (

    select
        ranked.edition_id,
        ranked.category,
        ranked.cluster,
        ranked.institution_id,
        ranked.institution_name,
        ranked.nominee_rank,
        ranked.post_rank,
        ranked.platform,
        ranked.account_id,
        ranked.post_id,
        ranked.published_at,
        ranked.permalink,
        ranked.media_kind,
        ranked.interactions,
        ranked.views,
        ranked.er,
        ranked.measure_name,
        case when ranked.measure_name = 'views' then cast(ranked.views as double) else ranked.er end
            as measure_value,
        ranked.is_collaboration

    from ranked
    cross join outlook_params
    where ranked.post_rank <= outlook_params.top_posts

)

select * from final
