{#- Fails with one row per listed column that has nulls (column_name, null_rows). One query over
    the model for all its never-null columns: a dbt test node per column would cost dbt's
    per-node overhead some two hundred times a build, which dominated an edition's dbt time.
    Stands for dbt's own not_null on each listed column; dbt_utils has no test over several
    columns (its not_null_proportion is one column at a time). No dbt packages: docs/warehouse.md. -#}
{% test not_null_columns(model, columns) %}

with null_counts as (
    select
    {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

select column_name, null_rows
from (unpivot null_counts on columns(*) into name column_name value null_rows)
where null_rows > 0

{% endtest %}
