{#- Fails for every score whose components do not add up to it: sum(weight * score) over the
    component rows of `model` sharing `keys` must equal `score_column` of `scores_model` within
    `tolerance`; a score without components, or components without a score, fails too.
    The project's own rule: no dbt_utils test stands for it (no dbt packages: docs/warehouse.md). -#}
{% test weighted_components_sum_to_score(model, scores_model, keys, weight_column='weight',
                                         component_score_column='score', score_column='score',
                                         tolerance=1e-9) %}

with

components as (

    select
        {{ keys | join(', ') }},
        sum({{ weight_column }} * {{ component_score_column }}) as weighted_sum,
        count(*) - count({{ weight_column }} * {{ component_score_column }}) as missing_parts

    from {{ model }}
    group by {{ keys | join(', ') }}

),

scores as (

    select
        {{ keys | join(', ') }},
        {{ score_column }} as score

    from {{ scores_model }}

)

select
    {% for key in keys -%}
    coalesce(components.{{ key }}, scores.{{ key }}) as {{ key }},
    {% endfor -%}
    components.weighted_sum,
    components.missing_parts,
    scores.score

from components
full outer join scores
    on {% for key in keys -%}
    components.{{ key }} = scores.{{ key }}{{ ' and ' if not loop.last }}
    {%- endfor %}
where components.weighted_sum is null
    or scores.score is null
    or components.missing_parts > 0
    or abs(components.weighted_sum - scores.score) > {{ tolerance }}

{% endtest %}
