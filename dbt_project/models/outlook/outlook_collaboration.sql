-- The collaboration effect of every edition built (docs/outlook.md): the rows of the edition being
-- built come from outlook_collaboration_edition (the Python model that draws the bootstrap), kept
-- here per edition like every other outlook model.

with

collaboration as (

    select * from {{ ref('outlook_collaboration_edition') }}
    where edition_id = {{ edition_id() }}

)

select * from collaboration  -- noqa: AM04
