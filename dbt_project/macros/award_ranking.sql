{#
  One award metric's ranking for the edition being built (METHODOLOGY.md, "Per institution"):
  every institution of the edition's clusters with >= 1 post in the window, rank 1 = best;
  ties by the higher score (compared after rounding to var('score_tie_decimals') places,
  docs/methodology.md choice 12), then more posts in the window, then institution_id
  ascending -- never by row order. nominee = rank <= nominees_per_category and score > 0.
#}
{% macro award_ranking(category) -%}
with

institution_scores as (

    select * from {{ ref('int_institution_scores') }}
    where edition_id = {{ edition_id() }}
        and category = {{ dbt.string_literal(category) }}

),

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

ranked as (

    select
        institution_scores.edition_id,
        institution_scores.cluster,
        institution_scores.institution_id,
        institution_scores.institution_name,
        institution_scores.score,
        row_number() over (
            partition by institution_scores.edition_id, institution_scores.cluster
            order by
                round(institution_scores.score, {{ var('score_tie_decimals') }}) desc,
                institution_scores.posts_in_window desc,
                institution_scores.institution_id asc
        ) as rank,
        edition_params.nominees_per_category,
        institution_scores.posts_in_window,
        institution_scores.methodology_version

    from institution_scores
    inner join edition_params
        on institution_scores.edition_id = edition_params.edition_id

)

select
    edition_id,
    cluster,
    institution_id,
    institution_name,
    score,
    rank,
    rank <= nominees_per_category and score > 0 as nominee,
    posts_in_window,
    methodology_version

from ranked
{%- endmacro %}
