-- The edition being built must be in the registry with a known methodology version, a
-- cluster and a platform; otherwise every model would silently build zero rows for it.

select {{ edition_id() }} as edition_id
where not exists (
    select 1
    from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}
        and platform_count > 0
        and cluster_count > 0
)
