-- One row per (edition, institution, category) for every institution of the edition's
-- clusters with >= 1 post in the window on the edition's platforms (METHODOLOGY.md "Per
-- institution"):
--   the four per-platform categories: sum over the edition's platforms of w_p * platform score
--   best_account: sum of best_account_weight_CATEGORY * category score
-- best_account_weight is the weight of the row's category inside best_account (null on the
-- best_account row itself). posts_in_window (the ranking's second tie-break) is the number of
-- distinct posts (platform, account_id, post_id) of its accounts (docs/methodology.md 9, 13).

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

institutions as (

    select * from {{ ref('stg_registry__institutions') }}

),

platform_scores as (

    select * from {{ ref('int_platform_scores') }}
    where edition_id = {{ edition_id() }}

),

posts_in_window as (

    select
        edition_id,
        institution_id,
        count(*) as posts_in_window

    from {{ ref('int_posts_scored') }}
    where edition_id = {{ edition_id() }}
    group by edition_id, institution_id

),

platform_category_scores as (

    select
        edition_id,
        cluster,
        institution_id,
        category,
        -- summed in a fixed order (platform), never in the order a parallel aggregate meets
        -- the rows: the same inputs always give the same bits (rankings are byte-reproducible)
        list_sum(list(platform_weight * score order by platform)) as score

    from platform_scores
    group by edition_id, cluster, institution_id, category

),

weighted_categories as (

    select
        platform_category_scores.*,
        case platform_category_scores.category
            when 'most_active' then edition_params.best_account_weight_most_active
            when 'most_engaging' then edition_params.best_account_weight_most_engaging
            when 'best_use_of_image' then edition_params.best_account_weight_best_use_of_image
            when 'best_use_of_video' then edition_params.best_account_weight_best_use_of_video
        end as best_account_weight

    from platform_category_scores
    inner join edition_params
        on platform_category_scores.edition_id = edition_params.edition_id

),

best_account_scores as (

    select
        edition_id,
        cluster,
        institution_id,
        'best_account' as category,
        list_sum(list(best_account_weight * score order by category)) as score,
        cast(null as double) as best_account_weight

    from weighted_categories
    group by edition_id, cluster, institution_id

),

category_scores as (

    select
        edition_id,
        cluster,
        institution_id,
        category,
        score,
        best_account_weight
    from weighted_categories

    union all

    select
        edition_id,
        cluster,
        institution_id,
        category,
        score,
        best_account_weight
    from best_account_scores

),

final as (

    select
        category_scores.edition_id,
        category_scores.cluster,
        category_scores.institution_id,
        institutions.institution_name,
        category_scores.category,
        category_scores.score,
        category_scores.best_account_weight,
        posts_in_window.posts_in_window,
        edition_params.methodology_version

    from category_scores
    inner join posts_in_window
        on category_scores.edition_id = posts_in_window.edition_id
        and category_scores.institution_id = posts_in_window.institution_id
    inner join institutions
        on category_scores.institution_id = institutions.institution_id
    inner join edition_params
        on category_scores.edition_id = edition_params.edition_id

)

select * from final
