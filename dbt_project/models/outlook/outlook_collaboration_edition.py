"""The collaboration effect of the edition being built (outlook_collaboration keeps every
edition's), per cluster and platform (docs/outlook.md): the median er of the posts
made with the institution's leader against the institution's other posts on that platform, for
the institutions that have a leader account there, the difference of the medians and its seeded
bootstrap interval (gsm_platform/outlook_stats.py: exact, O(n log n + B) per group). Posts
without an er are left out of both medians, as the award leaves them out of its means."""

import numpy as np
import pandas as pd

from gsm_platform.outlook_stats import group_rng, median_difference

COLUMNS = {
    "edition_id": "str",
    "cluster": "str",
    "platform": "str",
    "institutions": "Int64",
    "collab_posts": "Int64",
    "other_posts": "Int64",
    "coauthor_posts": "Int64",
    "mention_posts": "Int64",
    "same_media_posts": "Int64",
    "collab_median_er": "Float64",
    "other_median_er": "Float64",
    "median_er_difference": "Float64",
    "interval_low": "Float64",
    "interval_high": "Float64",
    "interval_level": "Float64",
    "bootstrap_replicates": "Int64",
}


def model(dbt, session):
    # A table of the edition being built only: dbt-duckdb's incremental Python models fail from
    # the second edition on (the schema check reads no column of the Python model's temporary
    # relation, and with the check off the merge looks for that relation in the wrong catalog).
    # outlook_collaboration (SQL, incremental per edition) keeps every edition's rows.
    dbt.config(materialized="table")
    params = dbt.ref("outlook_params").df()
    if params.empty:
        raise ValueError("outlook_params holds no edition: the edition being built is not in registry.editions")
    edition = str(params["edition_id"].iloc[0])
    replicates = int(params["bootstrap_replicates"].iloc[0])
    seed = int(params["bootstrap_seed"].iloc[0])
    level = float(params["interval_level"].iloc[0])
    quoted = edition.replace("'", "''")
    posts = (
        dbt.ref("outlook_posts")
        .filter(f"edition_id = '{quoted}' and has_leader_account and er is not null")
        .project(
            "cluster, platform, institution_id, er, is_collaboration, collab_coauthor, collab_mention, "
            "collab_same_media"
        )
        .df()
    )
    rows = []
    for (cluster, platform), group in posts.groupby(["cluster", "platform"], sort=True):
        collab = group["is_collaboration"].to_numpy(dtype=bool)
        er = group["er"].to_numpy(dtype=np.float64)
        result = median_difference(
            er[collab], er[~collab], replicates, level, group_rng(seed, edition, cluster, platform)
        )
        rows.append(
            {
                "edition_id": edition,
                "cluster": cluster,
                "platform": platform,
                "institutions": int(group["institution_id"].nunique()),
                "collab_posts": result.n_a,
                "other_posts": result.n_b,
                "coauthor_posts": int(group["collab_coauthor"].sum()),
                "mention_posts": int(group["collab_mention"].sum()),
                "same_media_posts": int(group["collab_same_media"].sum()),
                "collab_median_er": result.median_a,
                "other_median_er": result.median_b,
                "median_er_difference": result.difference,
                "interval_low": result.low,
                "interval_high": result.high,
                "interval_level": level,
                "bootstrap_replicates": replicates,
            }
        )
    # nullable dtypes, also for no rows: a missing median is NULL (never NaN), and the table's
    # column types never depend on whether this edition has a leader account
    return pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=t) for c, t in COLUMNS.items()})
