{#- Fails for every group whose ranks are not exactly 1, 2, ..., n (n rows, no gap, no tie).
    Stands for dbt_utils.sequential_values (interval 1, group_by_columns) plus a first value
    of 1, which it does not check (no dbt packages: docs/warehouse.md). -#}
{% test ranks_are_1_to_n(model, column_name, group_by) %}

select
    {{ group_by | join(', ') }},
    count(*) as row_count,
    count(distinct {{ column_name }}) as distinct_ranks,
    min({{ column_name }}) as min_rank,
    max({{ column_name }}) as max_rank

from {{ model }}
group by {{ group_by | join(', ') }}
having min({{ column_name }}) <> 1
    or max({{ column_name }}) <> count(*)
    or count(distinct {{ column_name }}) <> count(*)
    or count({{ column_name }}) <> count(*)

{% endtest %}
