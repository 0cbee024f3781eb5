{#- Fails for every group whose sum of `column_name` differs from `expected` by more than
    `tolerance` (e.g. the platform weights of an edition sum to 1).
    No dbt_utils test does this (dbt_utils.expression_is_true checks rows, not group sums);
    no dbt packages: docs/warehouse.md. -#}
{% test group_sum_equals(model, column_name, group_by, expected=1, tolerance=1e-9) %}

select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as total

from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - {{ expected }}) > {{ tolerance }}
    or count({{ column_name }}) <> count(*)

{% endtest %}
