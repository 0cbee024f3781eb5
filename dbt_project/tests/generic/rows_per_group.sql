{#- Fails for every group that does not hold exactly `expected` rows (e.g. a ranked
    institution has a row in each of the five categories).
    No dbt_utils test does this (its equal_rowcount and fewer_rows_than compare two models);
    no dbt packages: docs/warehouse.md. -#}
{% test rows_per_group(model, group_by, expected) %}

select
    {{ group_by | join(', ') }},
    count(*) as row_count

from {{ model }}
group by {{ group_by | join(', ') }}
having count(*) <> {{ expected }}

{% endtest %}
