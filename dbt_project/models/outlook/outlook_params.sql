-- The edition the outlook is being built for, with its window and the outlook's own choices
-- (dbt_project.yml vars; docs/outlook.md). One row, rebuilt by every build: the Python model
-- outlook_collaboration reads the edition from here, so that it follows the var or GSM_EDITION_ID
-- exactly as the SQL models do (macros/edition.sql).
{{ config(materialized='table', unique_key=none, pre_hook=[]) }}

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

final as (

    select
        edition_id,
        edition_name,
        start_date,
        end_date,
        window_start_at,
        window_end_at,
        cast({{ var('outlook_quiet_days') }} as {{ dbt.type_int() }}) as quiet_days,
        {{ dbt.dateadd('day', var('outlook_quiet_days'), 'window_start_at') }} as quiet_start_until,
        {{ dbt.dateadd('day', -var('outlook_quiet_days'), 'window_end_at') }} as quiet_end_from,
        cast({{ var('outlook_bootstrap_replicates') }} as {{ dbt.type_int() }}) as bootstrap_replicates,
        cast({{ var('outlook_bootstrap_seed') }} as {{ dbt.type_bigint() }}) as bootstrap_seed,
        cast({{ var('outlook_interval_level') }} as double) as interval_level,
        cast({{ var('outlook_top_posts') }} as {{ dbt.type_int() }}) as top_posts

    from edition_params

)

select * from final
