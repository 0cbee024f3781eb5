-- The most_engaging award of the edition: every ranked institution per cluster with its score, rank
-- and nominee flag (macros/award_ranking.sql).

{{ award_ranking('most_engaging') }}
