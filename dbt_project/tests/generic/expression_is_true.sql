{#- Fails for every row where `expression` is not true (false or null).
    Stands for dbt_utils.expression_is_true (no dbt packages: docs/warehouse.md). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
