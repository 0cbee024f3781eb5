-- What every score is made of, for an auditor (METHODOLOGY.md "What every score carries"):
-- one row per (edition, category, institution, component). The four per-platform categories
-- have one 'platform' component per platform of the edition (weight w_p, the platform score);
-- best_account has one 'category' component per category (its best_account weight, the
-- category score). sum(weight * score) over a score's components is the score in `rankings`.
--   posts_counted    most_active: every post in the window; engagement categories: the posts
--                    of the category's media kind with an er
--   posts_excluded   posts of the category's media kind without an er, by reason in
--                    exclusion_reasons ('interactions_hidden:3;unknown_audience:1', sorted
--                    labels, one reason per post: interactions_hidden first, then
--                    unknown_audience, or unknown_views on TikTok)
--   post_flags       flags among the posts the component looks at, counted or not
--                    ('interactions_hidden:3;late_snapshot:2;unknown_audience:1')
--   account_ids      sorted, comma-separated; 'platform:account_id' on category components

{%- set exclusions = {
    'interactions_hidden': 'excluded_interactions_hidden',
    'unknown_audience': 'excluded_unknown_audience',
    'unknown_views': 'excluded_unknown_views',
} %}
{%- set flags = {
    'interactions_hidden': 'flagged_interactions_hidden',
    'late_snapshot': 'flagged_late_snapshot',
    'unknown_audience': 'flagged_unknown_audience',
} %}

with

platform_scores as (

    select * from {{ ref('int_platform_scores') }}
    where edition_id = {{ edition_id() }}

),

institution_scores as (

    select * from {{ ref('int_institution_scores') }}
    where edition_id = {{ edition_id() }}

),

institution_accounts as (

    select
        edition_id,
        institution_id,
        {{ dbt.listagg("platform || ':' || account_id", "','", "order by platform || ':' || account_id") }}
            as account_ids

    from (
        select distinct
            edition_id,
            institution_id,
            platform,
            account_id
        from {{ ref('int_posts_scored') }}
        where edition_id = {{ edition_id() }}
    ) as accounts
    group by edition_id, institution_id

),

platform_components as (

    select
        edition_id,
        category,
        cluster,
        institution_id,
        'platform' as component_kind,
        platform as component,
        platform_weight as weight,
        score,
        raw_measure_name,
        raw_value,
        raw_percentile,
        secondary_measure_name,
        secondary_raw_value,
        secondary_percentile,
        eligible,
        account_ids,
        posts_counted,
        posts_excluded,
        {{ count_labels(exclusions) }} as exclusion_reasons,
        {{ count_labels(flags) }} as post_flags,
        methodology_version

    from platform_scores

),

category_post_counts as (

    select
        edition_id,
        institution_id,
        category,
        {{ dbt.bool_or('eligible') }} as eligible,
        cast(sum(posts_counted) as {{ dbt.type_bigint() }}) as posts_counted,
        cast(sum(posts_excluded) as {{ dbt.type_bigint() }}) as posts_excluded,  -- noqa: LT02
        {%- for column in (exclusions.values() | list) + (flags.values() | list) %}
        cast(sum({{ column }}) as {{ dbt.type_bigint() }}) as {{ column }}{{ ',' if not loop.last }}  -- noqa: LT02
        {%- endfor %}

    from platform_scores
    group by edition_id, institution_id, category

),

category_components as (

    select
        institution_scores.edition_id,
        'best_account' as category,
        institution_scores.cluster,
        institution_scores.institution_id,
        'category' as component_kind,
        institution_scores.category as component,
        institution_scores.best_account_weight as weight,
        institution_scores.score,
        'category_score' as raw_measure_name,
        institution_scores.score as raw_value,
        cast(null as double) as raw_percentile,
        cast(null as {{ dbt.type_string() }}) as secondary_measure_name,
        cast(null as double) as secondary_raw_value,
        cast(null as double) as secondary_percentile,
        category_post_counts.eligible,
        institution_accounts.account_ids,
        category_post_counts.posts_counted,
        category_post_counts.posts_excluded,
        {{ count_labels(exclusions) }} as exclusion_reasons,
        {{ count_labels(flags) }} as post_flags,
        institution_scores.methodology_version

    from institution_scores
    inner join category_post_counts
        on institution_scores.edition_id = category_post_counts.edition_id
        and institution_scores.institution_id = category_post_counts.institution_id
        and institution_scores.category = category_post_counts.category
    inner join institution_accounts
        on institution_scores.edition_id = institution_accounts.edition_id
        and institution_scores.institution_id = institution_accounts.institution_id
    where institution_scores.category <> 'best_account'

),

unioned as (

    select * from platform_components
    union all
    select * from category_components

)

select * from unioned
