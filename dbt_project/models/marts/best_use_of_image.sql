-- The best_use_of_image award of the edition: every ranked institution per cluster with its score, rank
-- and nominee flag (macros/award_ranking.sql).

{{ award_ranking('best_use_of_image') }}
