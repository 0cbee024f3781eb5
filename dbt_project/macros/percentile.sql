{#
  The award's percentile score (METHODOLOGY.md, "Percentile score") as a window expression:

      pct(x) = 100 * (L + (E - 1) / 2) / (n - 1),   n = 1 gives 100

  L = population members with a smaller value, E = members with an equal value (itself
  included), n = population size. Apply it to a relation that holds exactly the population
  (the eligible accounts), one row per member, `measure` not null.

  rank() - 1 is L; count over (population, value) is E. Values are compared after rounding
  to var('measure_tie_decimals') places (docs/methodology.md choice 12), so two means that
  are mathematically equal but were summed in a different order still tie. DOUBLE arithmetic.
#}
{% macro percentile_score(measure, partition_by) -%}
    {%- set tie_value = "round(cast(" ~ measure ~ " as double), " ~ var('measure_tie_decimals') ~ ")" -%}
    case
        when count(*) over (partition by {{ partition_by }}) = 1 then cast(100 as double)
        else cast(100 as double) * (
                cast(rank() over (partition by {{ partition_by }} order by {{ tie_value }}) - 1 as double)
                + cast(count(*) over (partition by {{ partition_by }}, {{ tie_value }}) - 1 as double) / 2
            ) / cast(count(*) over (partition by {{ partition_by }}) - 1 as double)
    end
{%- endmacro %}
