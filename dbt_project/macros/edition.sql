{#
  The edition a run builds (a string: "2025") arrives as the var `edition_id`
  (dbt build --vars '{"edition_id": "2025"}') or, from Dagster, as the environment variable
  GSM_EDITION_ID. It has no default: building "some" edition by accident would silently
  replace its rows. The environment is read at execution only: a var, or an env_var read
  while parsing, would make every run with another edition re-parse the whole project
  (dbt's partial parsing compares them), several seconds per run.
#}
{% macro edition_id() -%}
    {%- set value = var('edition_id', none) -%}
    {%- if (value is none or (value | string | trim) == '') and execute -%}
        {%- set value = env_var('GSM_EDITION_ID', '') -%}
    {%- endif -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "no edition to build: set GSM_EDITION_ID=2025, or dbt build --vars '{\"edition_id\": \"2025\"}'") }}
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
