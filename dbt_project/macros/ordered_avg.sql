{#- The mean of a column of doubles, added up in a fixed order (account, post). A plain avg()
    lets DuckDB's parallel aggregation choose the order, so the last bit of a mean could change
    from run to run; the award promises byte-identical components on a re-run. NULLs are left
    out, as avg() does. -#}
{% macro ordered_avg(expression) -%}
    list_avg(list({{ expression }} order by account_id, post_id))
{%- endmacro %}
