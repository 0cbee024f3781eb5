-- The five award metrics of the edition in one table, what the jury and the exports read.

{%- set categories = ['most_active', 'most_engaging', 'best_use_of_image', 'best_use_of_video', 'best_account'] %}

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
