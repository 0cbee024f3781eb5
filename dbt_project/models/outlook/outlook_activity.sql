-- How the edition's institutions used each platform, per cluster and platform (docs/outlook.md):
-- the accounts tracked (the edition's institution accounts) and active (>= 1 post in the window);
-- the posts as the award counts them (outlook_posts = int_posts_scored: distinct posts, the
-- chosen snapshot, published in the window), their known interactions, median er and share of
-- video; the audience of the tracked accounts at their first and last follower snapshot fetched
-- in the window; posts per month, per weekday and per hour of publication (WIB).

with

outlook_params as (

    select * from {{ ref('outlook_params') }}

),

tracked as (

    select
        edition_id,
        cluster,
        platform,
        count(distinct account_id) as accounts_tracked

    from {{ ref('int_edition_accounts') }}
    where edition_id = {{ edition_id() }}
    group by edition_id, cluster, platform

),

posts as (

    select
        *,
        cast({{ dbt.date_trunc('month', 'published_at') }} as date) as published_month,
        cast(isodow(published_at) - 1 as {{ dbt.type_int() }}) as weekday,
        cast(hour(published_at) as {{ dbt.type_int() }}) as hour_of_day

    from {{ ref('outlook_posts') }}
    where edition_id = {{ edition_id() }}

),

measures as (

    select
        cluster,
        platform,
        count(distinct account_id) as accounts_active,
        count(*) as posts,
        cast(sum(interactions) as {{ dbt.type_bigint() }}) as interactions,
        count(er) as er_posts,
        median(er) as median_er,
        cast(count(case when media_kind = 'video' then 1 end) as double) / count(*) as video_share

    from posts
    group by cluster, platform

),

-- the window's months, weekdays (0 = Monday) and hours, so that a list has a place for every one
months as (

    select cast(month_range.month_start as date) as month_start
    from outlook_params,
        range(
            cast({{ dbt.date_trunc('month', 'outlook_params.start_date') }} as date),
            cast(outlook_params.end_date as date),
            interval 1 month
        ) as month_range (month_start)

),

cells as (

    select
        tracked.cluster,
        tracked.platform,
        weekdays.weekday,
        hours.hour_of_day

    from tracked
    cross join (select cast(range as {{ dbt.type_int() }}) as weekday from range(7)) as weekdays  -- noqa: ST05
    cross join (select cast(range as {{ dbt.type_int() }}) as hour_of_day from range(24)) as hours  -- noqa: ST05

),

hour_counts as (

    select
        cells.cluster,
        cells.platform,
        cells.weekday,
        cells.hour_of_day,
        count(posts.post_id) as posts

    from cells
    left join posts
        on cells.cluster = posts.cluster
        and cells.platform = posts.platform
        and cells.weekday = posts.weekday
        and cells.hour_of_day = posts.hour_of_day
    group by cells.cluster, cells.platform, cells.weekday, cells.hour_of_day

),

weekday_rows as (

    select
        cluster,
        platform,
        weekday,
        list(posts order by hour_of_day) as hours,
        sum(posts) as posts

    from hour_counts
    group by cluster, platform, weekday

),

week_grid as (

    select
        cluster,
        platform,
        list(hours order by weekday) as posts_by_weekday_hour,
        list(cast(posts as {{ dbt.type_bigint() }}) order by weekday) as posts_by_weekday

    from weekday_rows
    group by cluster, platform

),

hour_marginal as (

    select
        cluster,
        platform,
        list(cast(posts as {{ dbt.type_bigint() }}) order by hour_of_day) as posts_by_hour

    from (
        select
            cluster,
            platform,
            hour_of_day,
            sum(posts) as posts
        from hour_counts
        group by cluster, platform, hour_of_day
    ) as by_hour
    group by cluster, platform

),

month_counts as (

    select
        tracked.cluster,
        tracked.platform,
        months.month_start,
        count(posts.post_id) as posts

    from tracked
    cross join months
    left join posts
        on tracked.cluster = posts.cluster
        and tracked.platform = posts.platform
        and months.month_start = posts.published_month
    group by tracked.cluster, tracked.platform, months.month_start

),

month_lists as (

    select
        cluster,
        platform,
        list(
            { 'month': strftime(month_start, '%Y-%m'), 'posts': cast(posts as {{ dbt.type_bigint() }}) }
            order by month_start
        ) as posts_by_month

    from month_counts
    group by cluster, platform

),

-- one count per (account, fetch time): ties take the larger count (as int_posts_scored)
follower_counts as (

    select
        accounts.cluster,
        followers.platform,
        followers.account_id,
        followers.fetched_at,
        max(followers.followers) as followers

    from {{ ref('stg_clean__follower_snapshots') }} as followers
    inner join (  -- noqa: ST05
        select distinct
            cluster,
            platform,
            account_id
        from {{ ref('int_edition_accounts') }}
        where edition_id = {{ edition_id() }}
    ) as accounts
        on followers.platform = accounts.platform
        and followers.account_id = accounts.account_id
    cross join outlook_params
    where followers.fetched_at >= outlook_params.window_start_at
        and followers.fetched_at < outlook_params.window_end_at
    group by accounts.cluster, followers.platform, followers.account_id, followers.fetched_at

),

account_audience as (

    select
        cluster,
        platform,
        account_id,
        arg_min(followers, fetched_at) as followers_first,
        arg_max(followers, fetched_at) as followers_last

    from follower_counts
    group by cluster, platform, account_id

),

audience as (

    select
        cluster,
        platform,
        count(*) as accounts_with_audience,
        cast(sum(followers_first) as {{ dbt.type_bigint() }}) as audience_start,
        cast(sum(followers_last) as {{ dbt.type_bigint() }}) as audience_end

    from account_audience
    group by cluster, platform

),

final as (

    select
        tracked.edition_id,
        tracked.cluster,
        tracked.platform,
        tracked.accounts_tracked,
        coalesce(measures.accounts_active, 0) as accounts_active,
        coalesce(measures.posts, 0) as posts,
        coalesce(measures.interactions, 0) as interactions,
        coalesce(measures.er_posts, 0) as er_posts,
        measures.median_er,
        measures.video_share,
        coalesce(audience.accounts_with_audience, 0) as accounts_with_audience,
        audience.audience_start,
        audience.audience_end,
        case
            when audience.audience_start > 0
                then cast(audience.audience_end - audience.audience_start as double) / audience.audience_start
        end as audience_growth,
        month_lists.posts_by_month,
        week_grid.posts_by_weekday,
        hour_marginal.posts_by_hour,
        week_grid.posts_by_weekday_hour

    from tracked
    left join measures
        on tracked.cluster = measures.cluster
        and tracked.platform = measures.platform
    left join audience
        on tracked.cluster = audience.cluster
        and tracked.platform = audience.platform
    left join month_lists
        on tracked.cluster = month_lists.cluster
        and tracked.platform = month_lists.platform
    left join week_grid
        on tracked.cluster = week_grid.cluster
        and tracked.platform = week_grid.platform
    left join hour_marginal
        on tracked.cluster = hour_marginal.cluster
        and tracked.platform = hour_marginal.platform

)

select * from final
