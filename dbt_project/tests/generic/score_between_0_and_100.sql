{#- Fails for every row whose score is outside [0, 100] (beyond float noise `tolerance`).
    Stands for dbt_utils.accepted_range (min_value 0, max_value 100), with a tolerance it lacks
    (no dbt packages: docs/warehouse.md). -#}
{% test score_between_0_and_100(model, column_name, tolerance=1e-9) %}

select *
from {{ model }}
where {{ column_name }} < 0 - {{ tolerance }}
    or {{ column_name }} > 100 + {{ tolerance }}

{% endtest %}
