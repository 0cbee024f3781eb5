{#
  The edition a run builds arrives as the var `edition_id` (a string: "2025"). It has no
  default: building "some" edition by accident would silently replace its rows. Parsing
  (dagster-dbt's `dbt parse`) runs without vars, so the error is raised at execution only.
#}
{% macro edition_id() -%}
    {%- set value = var('edition_id', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "var 'edition_id' is required: dbt build --vars '{\"edition_id\": \"2025\"}'") }}
        {%- endif -%}
        {{- return("cast(null as " ~ dbt.type_string() ~ ")") -}}
    {%- endif -%}
    {{- return(dbt.string_literal(dbt.escape_single_quotes(value | string))) -}}
{%- endmacro %}


{#
  Pre-hook of every per-edition (incremental) model: removes the rows of the edition being
  built before the new ones are inserted, also when the new batch is empty (the delete of the
  delete+insert strategy only covers edition ids present in the batch).
#}
{% macro delete_edition_rows() -%}
    {%- if execute and is_incremental() -%}
        delete from {{ this }} where edition_id = {{ edition_id() }}
    {%- endif -%}
{%- endmacro %}
