-- Every selected post of the edition, once per institution owning its account, with what the
-- scoring needs (METHODOLOGY.md "Per post"; docs/methodology.md choices 4-6 and 8):
--   audience     followers of the account's latest follower snapshot fetched at or before
--                publication, else the earliest later one; ties at one fetch time take the
--                larger count; a count of 0 or no snapshot at all is unknown (no fallback).
--                No settle cutoff on follower snapshots.
--   er           interactions / audience; TikTok interactions / views (views 0 or unknown:
--                no er). A hidden count means no er.
--   reach        views / audience, video posts with known views and a known audience.
--   consistency_block  floor((published_at - start) / block days).

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

edition_accounts as (

    select * from {{ ref('int_edition_accounts') }}
    where edition_id = {{ edition_id() }}

),

selected_posts as (

    select * from {{ ref('int_post_snapshots_selected') }}
    where edition_id = {{ edition_id() }}

),

-- one count per (account, fetch time): ties take the larger count
follower_counts as (

    select
        platform,
        account_id,
        fetched_at,
        max(followers) as followers

    from {{ ref('stg_clean__follower_snapshots') }}
    where fetched_at is not null
    group by platform, account_id, fetched_at

),

first_follower_counts as (

    select
        platform,
        account_id,
        fetched_at,
        followers

    from (
        select
            *,
            row_number() over (partition by platform, account_id order by fetched_at asc) as fetch_order
        from follower_counts
    ) as ordered
    where fetch_order = 1

),

posts_with_audience as (

    select
        selected_posts.*,
        coalesce(latest_before.fetched_at, earliest.fetched_at) as audience_fetched_at,
        case
            when latest_before.fetched_at is not null then latest_before.followers
            else earliest.followers
        end as audience_followers

    from selected_posts
    -- the latest follower snapshot fetched at or before publication
    asof left join follower_counts as latest_before
        on selected_posts.platform = latest_before.platform
        and selected_posts.account_id = latest_before.account_id
        and selected_posts.published_at >= latest_before.fetched_at
    -- where there is none, every snapshot of the account is later: the earliest of them
    left join first_follower_counts as earliest
        on selected_posts.platform = earliest.platform
        and selected_posts.account_id = earliest.account_id

),

measured as (

    select
        posts_with_audience.*,
        case
            when posts_with_audience.audience_followers = 0 then null
            else posts_with_audience.audience_followers
        end as audience

    from posts_with_audience

),

scored as (

    select
        measured.*,
        case
            when measured.interactions is null then null
            when measured.platform = 'tiktok'
                then case
                        when measured.views <> 0
                            then cast(measured.interactions as double) / cast(measured.views as double)
                    end
            when measured.audience is not null
                then cast(measured.interactions as double) / cast(measured.audience as double)
        end as er,
        case
            when measured.media_kind = 'video'
                and measured.views is not null
                and measured.audience is not null
                then cast(measured.views as double) / cast(measured.audience as double)
        end as reach

    from measured

),

final as (

    select
        scored.edition_id,
        edition_accounts.cluster,
        edition_accounts.institution_id,
        scored.platform,
        scored.account_id,
        scored.post_id,
        scored.published_at,
        scored.fetched_at,
        scored.media_kind,
        scored.interactions,
        scored.views,
        scored.audience_fetched_at,
        scored.audience,
        scored.er,
        scored.reach,
        -- the datediff macro expands past 120 characters: not a line a reader sees
        cast(
            floor(
                cast({{ dbt.datediff('edition_params.window_start_at', 'scored.published_at', 'day') }} as double)  -- noqa: LT05
                / edition_params.consistency_block_days
            ) as {{ dbt.type_int() }}
        ) as consistency_block,
        scored.interactions_hidden,
        scored.audience is null as unknown_audience,
        scored.late_snapshot,
        -- why a post has no er (one reason per post, the first that applies)
        case
            when scored.er is not null then null
            when scored.interactions_hidden then 'interactions_hidden'
            when scored.platform = 'tiktok' then 'unknown_views'
            else 'unknown_audience'
        end as er_exclusion_reason,
        scored.snapshot_count,
        scored.source_file,
        scored.source_line,
        scored.source_position

    from scored
    inner join edition_accounts
        on scored.edition_id = edition_accounts.edition_id
        and scored.platform = edition_accounts.platform
        and scored.account_id = edition_accounts.account_id
    inner join edition_params
        on scored.edition_id = edition_params.edition_id

)

select * from final
