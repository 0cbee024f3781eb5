-- What happened to the edition's institutions and accounts inside its window (docs/outlook.md),
-- one row per event with its source:
--   registry   the registry's lifecycle events dated inside the window: created, merged, renamed
--              (the registry's `rebranded`, a new name, is a rename; registry_event keeps its
--              word), retired; an institution's event has no platform or account
--   observed   from the data: started_posting (an account of the edition whose first post in the
--              window comes after its first quiet_days days), went_silent (its last post comes
--              before the last quiet_days days), handle_changed (the handle its profile bodies
--              name differs from the one of its previous follower snapshot, fetched in the window)

with

outlook_params as (

    select * from {{ ref('outlook_params') }}

),

institutions as (

    select institutions.*
    from {{ ref('stg_registry__institutions') }} as institutions
    inner join {{ ref('stg_registry__edition_clusters') }} as edition_clusters
        on institutions.cluster = edition_clusters.cluster
    where edition_clusters.edition_id = {{ edition_id() }}

),

edition_accounts as (

    select * from {{ ref('int_edition_accounts') }}
    where edition_id = {{ edition_id() }}

),

registry_events as (

    select
        outlook_params.edition_id,
        institutions.cluster,
        institutions.institution_id,
        lifecycle.platform,
        lifecycle.account_id,
        lifecycle.handle,
        case when lifecycle.registry_event = 'rebranded' then 'renamed' else lifecycle.registry_event end as event,
        lifecycle.registry_event,
        lifecycle.event_date,
        'registry' as source,
        nullif(concat_ws(
            '; ',
            'previous: ' || lifecycle.previous_name,
            'into: ' || lifecycle.into_institution_id,
            lifecycle.note
        ), '') as detail

    from {{ ref('stg_registry__lifecycle_events') }} as lifecycle
    inner join institutions
        on lifecycle.institution_id = institutions.institution_id
    cross join outlook_params
    where lifecycle.event_date >= outlook_params.start_date
        and lifecycle.event_date < outlook_params.end_date
        -- an account's event: the account is one the edition tracks
        and (
            lifecycle.account_id is null
            or exists (
                select 1 from edition_accounts
                where edition_accounts.platform = lifecycle.platform
                    and edition_accounts.account_id = lifecycle.account_id
            )
        )

),

account_posts as (

    select
        cluster,
        institution_id,
        platform,
        account_id,
        min(published_at) as first_post_at,
        max(published_at) as last_post_at,
        count(*) as posts

    from {{ ref('int_posts_scored') }}
    where edition_id = {{ edition_id() }}
    group by cluster, institution_id, platform, account_id

),

registry_handles as (

    select
        platform,
        account_id,
        min(handle) as handle
    from {{ ref('stg_registry__accounts') }}
    group by platform, account_id

),

posting_events as (

    select
        outlook_params.edition_id,
        account_posts.cluster,
        account_posts.institution_id,
        account_posts.platform,
        account_posts.account_id,
        registry_handles.handle,
        event_kinds.event,
        cast(null as {{ dbt.type_string() }}) as registry_event,
        cast(case when event_kinds.event = 'started_posting' then account_posts.first_post_at
            else account_posts.last_post_at
        end as date) as event_date,
        'observed' as source,
        case
            when event_kinds.event = 'started_posting'
                then 'first post in the window ' || strftime(account_posts.first_post_at, '%Y-%m-%d %H:%M')
                    || ' WIB, none in its first ' || cast(outlook_params.quiet_days as {{ dbt.type_string() }})
                    || ' days'
            else 'last post in the window ' || strftime(account_posts.last_post_at, '%Y-%m-%d %H:%M')
                || ' WIB, none in its last ' || cast(outlook_params.quiet_days as {{ dbt.type_string() }}) || ' days'
        end as detail

    from account_posts
    cross join outlook_params
    inner join (  -- noqa: ST05
        select 'started_posting' as event
        union all
        select 'went_silent' as event
    ) as event_kinds
        on (event_kinds.event = 'started_posting' and account_posts.first_post_at >= outlook_params.quiet_start_until)
        or (event_kinds.event = 'went_silent' and account_posts.last_post_at < outlook_params.quiet_end_from)
    left join registry_handles
        on account_posts.platform = registry_handles.platform
        and account_posts.account_id = registry_handles.account_id

),

handles as (

    select
        snapshots.platform,
        snapshots.account_id,
        snapshots.fetched_at,
        snapshots.handle,
        lag(snapshots.handle) over (
            partition by snapshots.platform, snapshots.account_id order by snapshots.fetched_at, snapshots.handle
        ) as previous_handle

    from {{ ref('stg_clean__follower_snapshots') }} as snapshots
    inner join (  -- noqa: ST05
        select distinct
            platform,
            account_id
        from edition_accounts
    ) as accounts
        on snapshots.platform = accounts.platform
        and snapshots.account_id = accounts.account_id
    where snapshots.handle is not null

),

handle_events as (

    select
        outlook_params.edition_id,
        edition_accounts.cluster,
        edition_accounts.institution_id,
        handles.platform,
        handles.account_id,
        handles.handle,
        'handle_changed' as event,
        cast(null as {{ dbt.type_string() }}) as registry_event,
        cast(handles.fetched_at as date) as event_date,
        'observed' as source,
        '@' || handles.previous_handle || ' -> @' || handles.handle || ' (profile fetched '
        || strftime(handles.fetched_at, '%Y-%m-%d %H:%M') || ' WIB)' as detail

    from handles
    inner join edition_accounts
        on handles.platform = edition_accounts.platform
        and handles.account_id = edition_accounts.account_id
    cross join outlook_params
    where lower(handles.handle) <> lower(handles.previous_handle)
        and handles.fetched_at >= outlook_params.window_start_at
        and handles.fetched_at < outlook_params.window_end_at

),

unioned as (

    select * from registry_events
    union all
    select * from posting_events
    union all
    select * from handle_events

),

final as (

    select
        unioned.edition_id,
        unioned.cluster,
        unioned.institution_id,
        institutions.institution_name,
        unioned.platform,
        unioned.account_id,
        unioned.handle,
        unioned.event,
        unioned.registry_event,
        unioned.event_date,
        unioned.source,
        unioned.detail

    from unioned
    inner join institutions
        on unioned.institution_id = institutions.institution_id

)

select * from final
