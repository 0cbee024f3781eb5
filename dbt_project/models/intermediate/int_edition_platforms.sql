-- The platforms the edition tracks, each with its weight w_p in the category scores:
-- 1 / number of the edition's platforms, unless the methodology version sets
-- platform_weights; then the configured weight, and a platform missing from it is an error
-- (docs/methodology.md choice 11): platform_weight is null and the not_null test of this
-- model stops the build. Weights of platforms the edition does not track are ignored.

with

edition_params as (

    select * from {{ ref('int_edition_params') }}
    where edition_id = {{ edition_id() }}

),

edition_platforms as (

    select * from {{ ref('stg_registry__edition_platforms') }}
    where edition_id = {{ edition_id() }}

),

configured_weights as (

    select * from {{ ref('stg_registry__methodology_platform_weights') }}

),

versions_with_weights as (

    select distinct methodology_version from configured_weights

),

final as (

    select
        edition_platforms.edition_id,
        edition_platforms.platform,
        case
            when versions_with_weights.methodology_version is null
                then cast(1 as double) / edition_params.platform_count
            else configured_weights.platform_weight
        end as platform_weight,
        case
            when versions_with_weights.methodology_version is null then 'equal'
            else 'methodology'
        end as weight_origin,
        edition_params.methodology_version

    from edition_platforms
    inner join edition_params
        on edition_platforms.edition_id = edition_params.edition_id
    left join versions_with_weights
        on edition_params.methodology_version = versions_with_weights.methodology_version
    left join configured_weights
        on edition_params.methodology_version = configured_weights.methodology_version
        and edition_platforms.platform = configured_weights.platform

)

select * from final
