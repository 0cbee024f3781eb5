-- The accounts the edition scores: role `institution` (never leaders' accounts), owned by an
-- institution of the edition's clusters, on a platform the edition tracks (docs/methodology.md
-- choice 7). A post counts for the institution owning its account in the registry used
-- (choice 10).

with

edition_clusters as (

    select * from {{ ref('stg_registry__edition_clusters') }}
    where edition_id = {{ edition_id() }}

),

edition_platforms as (

    select * from {{ ref('int_edition_platforms') }}
    where edition_id = {{ edition_id() }}

),

institutions as (

    select * from {{ ref('stg_registry__institutions') }}

),

accounts as (

    select * from {{ ref('stg_registry__accounts') }}
    where account_role = 'institution'

),

final as (

    select distinct
        edition_clusters.edition_id,
        institutions.cluster,
        institutions.institution_id,
        institutions.institution_name,
        accounts.platform,
        accounts.account_id

    from accounts
    inner join institutions
        on accounts.institution_id = institutions.institution_id
    inner join edition_clusters
        on institutions.cluster = edition_clusters.cluster
    inner join edition_platforms
        on edition_clusters.edition_id = edition_platforms.edition_id
        and accounts.platform = edition_platforms.platform

)

select * from final
