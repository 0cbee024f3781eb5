{#- Fails for every row whose score is outside [0, 100] (beyond float noise `tolerance`). -#}
{% test score_between_0_and_100(model, column_name, tolerance=1e-9) %}

select *
from {{ model }}
where {{ column_name }} < 0 - {{ tolerance }}
    or {{ column_name }} > 100 + {{ tolerance }}

{% endtest %}
