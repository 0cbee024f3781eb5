-- The five award metrics of the edition in one table, what the jury and the exports read.

{#- one mart per category, named for it: the list is the vocabulary's (dbt_project.yml vars) #}
{%- set categories = var('categories') %}

with

{% for category in categories %}
{{ category }} as (

    select * from {{ ref(category) }}
    where edition_id = {{ edition_id() }}

),

{% endfor -%}

unioned as (

    {%- for category in categories %}

    select
        edition_id,
        '{{ category }}' as category,
        cluster,
        rank,
        institution_id,
        institution_name,
        score,
        nominee,
        methodology_version,
        posts_in_window

    from {{ category }}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

)

select * from unioned
