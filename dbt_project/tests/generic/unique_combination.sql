{#- Fails for every combination of `combination_of_columns` held by more than one row.
    Stands for dbt_utils.unique_combination_of_columns (no dbt packages: docs/warehouse.md). -#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as row_count

from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
