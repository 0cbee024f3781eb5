-- One snapshot per post (platform, account_id, post_id) of the edition's scored accounts,
-- as of the snapshot cutoff (METHODOLOGY.md "Editions and periods"; docs/methodology.md
-- choices 2 and 3):
--   * the latest snapshot fetched at or before the cutoff; if none, the earliest later one,
--     flagged late_snapshot;
--   * among different snapshots with that fetch time: more interactions (a hidden count
--     ranks below any known one), then more views (unknown below any known), then the
--     smaller (source_file, source_line, source_position). Identical snapshots are one.
-- The snapshot is chosen first, among all snapshots of the post; then ITS publication time
-- decides window membership.

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

scored_accounts as (

    select distinct
        edition_id,
        platform,
        account_id
    from {{ ref('int_edition_accounts') }}
    where edition_id = {{ edition_id() }}

),

post_snapshots as (

    select * from {{ ref('stg_clean__post_snapshots') }}
    where fetched_at is not null
        and published_at is not null

),

-- A post none of whose snapshots was published in the window cannot end up in it: only the
-- posts with at least one such snapshot are looked at (with all their snapshots).
posts_touching_window as (

    select distinct
        post_snapshots.platform,
        post_snapshots.account_id,
        post_snapshots.post_id

    from post_snapshots
    inner join edition_params
        on post_snapshots.published_at >= edition_params.window_start_at
        and post_snapshots.published_at < edition_params.window_end_at

),

snapshots_of_scored_accounts as (

    select
        scored_accounts.edition_id,
        post_snapshots.*,
        -- a hidden count is unknown, never zero
        post_snapshots.interactions is null
        or coalesce(post_snapshots.interactions_hidden, false) as is_hidden,
        post_snapshots.fetched_at > edition_params.snapshot_cutoff_at as is_after_cutoff,
        edition_params.snapshot_cutoff_at,
        edition_params.window_start_at,
        edition_params.window_end_at

    from post_snapshots
    inner join posts_touching_window
        on post_snapshots.platform = posts_touching_window.platform
        and post_snapshots.account_id = posts_touching_window.account_id
        and post_snapshots.post_id = posts_touching_window.post_id
    inner join scored_accounts
        on post_snapshots.platform = scored_accounts.platform
        and post_snapshots.account_id = scored_accounts.account_id
    inner join edition_params
        on scored_accounts.edition_id = edition_params.edition_id

),

ranked as (

    select
        *,
        -- snapshots fetched by the cutoff: later pulls never change a closed edition's rows
        cast(
            sum(case when is_after_cutoff then 0 else 1 end) over (partition by platform, account_id, post_id)
            as {{ dbt.type_bigint() }}
        ) as snapshot_count,
        row_number() over (
            partition by platform, account_id, post_id
            order by
                -- on-time snapshots first, the latest of them ...
                case when not is_after_cutoff then fetched_at end desc nulls last,
                -- ... else the earliest late one
                fetched_at asc,
                case when is_hidden then null else interactions end desc nulls last,
                views desc nulls last,
                coalesce(source_file, '') asc,
                coalesce(source_line, -1) asc,
                coalesce(source_position, -1) asc
        ) as snapshot_order

    from snapshots_of_scored_accounts

),

final as (

    select
        edition_id,
        platform,
        account_id,
        post_id,
        published_at,
        fetched_at,
        media_kind,
        likes,
        comments,
        shares,
        quotes,
        case when is_hidden then null else interactions end as interactions,
        is_hidden as interactions_hidden,
        views,
        is_after_cutoff as late_snapshot,
        snapshot_count,
        source_file,
        source_line,
        source_position

    from ranked
    where snapshot_order = 1
        and published_at >= window_start_at
        and published_at < window_end_at

)

select * from final
