{#
  'label:n;label:n' for the labels whose count column is > 0, labels in sorted order; ''
  when none. counts: a dict {label: count column}.
#}
{% macro count_labels(counts) -%}
    coalesce(concat_ws(';'
    {%- for label in counts | list | sort %},
        case when {{ counts[label] }} > 0
            then '{{ label }}:' || cast({{ counts[label] }} as {{ dbt.type_string() }}) end
    {%- endfor %}
    ), '')
{%- endmacro %}
