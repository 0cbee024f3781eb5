"""Independent reference implementation of the award's scoring (methodology v1).

Written from /work/shared/METHODOLOGY.md (the spec) and docs/methodology.md (the project's
choices where the spec is silent) only -- never from the dbt SQL -- so tests can check the
production models against it to 1e-6.

Plain Python on purpose: inputs are small, clarity beats speed. All arithmetic on measures,
percentiles and weights is exact (``fractions.Fraction``: counts are integers, the weights of
the methodology file are read as the decimals they are written as), so "equal values" in the
percentile and "equal scores" in the ranking mean mathematically equal, never "equal after
float rounding". Values are converted to float only in the returned tables.

    compute(posts, followers, institutions, accounts, edition, params) -> {
        "rankings":        edition, category, cluster, rank, institution_id, score, nominee,
                           posts_in_window, methodology_version
        "platform_scores": institution_id, cluster, platform, category, score, eligible,
                           raw_value, posts_counted, er_posts, mean_er, mean_reach,
                           consistency, weight, account_ids
        "posts":           the chosen snapshot of every scored post in the window, with
                           audience, er, reach, hidden, late_snapshot
    }

raw_value per category: most_active = number of posts; most_engaging = mean er;
best_use_of_image = mean er over image posts; best_use_of_video = mean er over video posts
(mean reach is in ``mean_reach``). NaN where there is no value.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import pandas as pd

PLATFORM_CATEGORIES = ("most_active", "most_engaging", "best_use_of_image", "best_use_of_video")
CATEGORIES = PLATFORM_CATEGORIES + ("best_account",)


# --------------------------------------------------------------------------- small helpers


def _missing(value) -> bool:
    """None, NaN, NaT and pd.NA are all 'unknown'."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _int_or_none(value):
    return None if _missing(value) else int(value)


def _exact(value) -> Fraction:
    """A methodology constant as the exact decimal it is written as (0.7 -> 7/10)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def _to_datetime(value) -> dt.datetime:
    """A naive WIB datetime (the warehouse's convention)."""
    return pd.Timestamp(value).to_pydatetime()


def _midnight(day) -> dt.datetime:
    """A window bound: the date read at 00:00 WIB."""
    return pd.Timestamp(day).normalize().to_pydatetime()


def _as_float(value):
    return float("nan") if value is None else float(value)


def _mean(values: list[Fraction]):
    return sum(values, Fraction(0)) / len(values) if values else None


# --------------------------------------------------------------------------- percentile


def percentile_exact(value, population: list) -> Fraction:
    """pct(x) = 100 * (L + (E - 1) / 2) / (n - 1); L = values strictly smaller, E = values equal
    to x (itself included, so ``value`` must be one of ``population``); n = 1 gives 100."""
    n = len(population)
    if n == 1:
        return Fraction(100)
    smaller = sum(1 for other in population if other < value)
    equal = sum(1 for other in population if other == value)
    assert equal >= 1, "the value must be a member of its population"
    return Fraction(100) * (smaller + Fraction(equal - 1, 2)) / (n - 1)


def percentiles(values: list) -> list[float]:
    """The percentile of every value among all of them, as floats (for tests and auditors)."""
    exact = [Fraction(v) if not isinstance(v, float) else Fraction(repr(v)) for v in values]
    return [float(percentile_exact(v, exact)) for v in exact]


# --------------------------------------------------------------------------- snapshots


def _snapshot_tie_key(snap: dict):
    """Among different snapshots with one fetch time (docs/methodology.md, choice 2): more
    interactions (hidden ranks below any known count), then more views (unknown below any
    known), then the smaller (source_file, source_line, source_position). Smallest key wins."""
    interactions = None if snap["hidden"] else snap["interactions"]
    views = snap["views"]
    return (
        0 if interactions is not None else 1,
        -(interactions or 0),
        0 if views is not None else 1,
        -(views or 0),
        "" if _missing(snap["source_file"]) else str(snap["source_file"]),
        -1 if _missing(snap["source_line"]) else int(snap["source_line"]),
        -1 if _missing(snap["source_position"]) else int(snap["source_position"]),
    )


def choose_snapshot(snapshots: list[dict], cutoff: dt.datetime) -> tuple[dict, bool]:
    """The snapshot an edition uses for one post, and whether it is a late one: the latest
    fetched at or before the cutoff; if none, the earliest later one (flagged late)."""
    on_time = [s for s in snapshots if s["fetched_at"] <= cutoff]
    if on_time:
        fetch_time = max(s["fetched_at"] for s in on_time)
        late = False
    else:
        fetch_time = min(s["fetched_at"] for s in snapshots)
        late = True
    same_time = [s for s in snapshots if s["fetched_at"] == fetch_time]
    return min(same_time, key=_snapshot_tie_key), late


def audience_at(follower_snaps: list[tuple[dt.datetime, int | None]], published_at: dt.datetime):
    """Followers of the account's latest follower snapshot fetched at or before publication,
    else of the earliest one after; ties at one fetch time take the larger count. A count of 0
    or none is an unknown audience (None)."""
    before = [s for s in follower_snaps if s[0] <= published_at]
    if before:
        fetch_time = max(s[0] for s in before)
    else:
        after = [s for s in follower_snaps if s[0] > published_at]
        if not after:
            return None
        fetch_time = min(s[0] for s in after)
    counts = [s[1] for s in follower_snaps if s[0] == fetch_time]
    known = [c for c in counts if c is not None]
    followers = max(known) if known else None
    if followers is None or followers == 0:
        return None
    return followers


# --------------------------------------------------------------------------- the computation


def _platform_weights(platforms: list[str], params: dict) -> dict[str, Fraction]:
    configured = params.get("platform_weights")
    if configured is None:
        return {p: Fraction(1, len(platforms)) for p in platforms}
    missing = [p for p in platforms if p not in configured]
    if missing:
        raise ValueError(f"platform_weights has no weight for the edition's platforms {missing}")
    weights = {p: _exact(configured[p]) for p in platforms}
    if abs(float(sum(weights.values())) - 1.0) > 1e-9:
        raise ValueError(f"platform_weights of the edition's platforms must sum to 1 (got {sum(weights.values())})")
    return weights


def compute(
    posts: pd.DataFrame,
    followers: pd.DataFrame,
    institutions: pd.DataFrame,
    accounts: pd.DataFrame,
    edition: dict,
    params: dict,
) -> dict[str, pd.DataFrame]:
    edition_id = edition["edition_id"]
    clusters = list(edition["clusters"])
    platforms = list(edition["platforms"])
    start = _midnight(edition["start_date"])
    end = _midnight(edition["end_date"])
    cutoff = end + dt.timedelta(days=int(params["settle_days"]))
    min_posts = int(params["min_posts"])
    block_days = int(params["consistency_block_days"])
    w_posts = _exact(params["activity_weights"]["posts"])
    w_consistency = _exact(params["activity_weights"]["consistency"])
    w_video_er = _exact(params["video_weights"]["er"])
    w_video_reach = _exact(params["video_weights"]["reach"])
    nominees_per_category = int(params["nominees_per_category"])
    best_weights = {c: _exact(params["best_account_weights"][c]) for c in PLATFORM_CATEGORIES}
    platform_weight = _platform_weights(platforms, params)

    window_days = (end - start).days
    if window_days <= 0:
        raise ValueError("the edition window is empty")
    n_blocks = math.ceil(window_days / block_days)

    # ---- who is scored: institutions of the edition's clusters, their institution accounts
    cluster_of: dict = {}
    for row in institutions.to_dict("records"):
        if row["cluster"] in clusters:
            cluster_of[row["institution_id"]] = row["cluster"]

    owners: dict[tuple[str, str], list] = {}  # (platform, account_id) -> institution ids
    for row in accounts.to_dict("records"):
        if row["role"] != "institution":
            continue
        if row["platform"] not in platforms or row["institution_id"] not in cluster_of:
            continue
        key = (row["platform"], str(row["account_id"]))
        if row["institution_id"] not in owners.setdefault(key, []):
            owners[key].append(row["institution_id"])

    # ---- every snapshot of every post of a scored account, grouped by post
    snapshots_of: dict[tuple[str, str, str], list[dict]] = {}
    has_hidden_flag = "interactions_hidden" in posts.columns
    for row in posts.to_dict("records"):
        key = (row["platform"], str(row["account_id"]))
        if key not in owners or _missing(row["fetched_at"]) or _missing(row["published_at"]):
            continue
        interactions = _int_or_none(row["interactions"])
        hidden_flag = has_hidden_flag and not _missing(row["interactions_hidden"]) and bool(row["interactions_hidden"])
        snap = {
            "platform": row["platform"],
            "account_id": str(row["account_id"]),
            "post_id": str(row["post_id"]),
            "published_at": _to_datetime(row["published_at"]),
            "fetched_at": _to_datetime(row["fetched_at"]),
            "media_kind": row["media_kind"],
            "interactions": interactions,
            "hidden": interactions is None or hidden_flag,
            "views": _int_or_none(row.get("views")),
            "source_file": row.get("source_file"),
            "source_line": row.get("source_line"),
            "source_position": row.get("source_position"),
        }
        snapshots_of.setdefault((snap["platform"], snap["account_id"], snap["post_id"]), []).append(snap)

    # ---- follower snapshots per (platform, account)
    followers_of: dict[tuple[str, str], list] = {}
    for row in followers.to_dict("records"):
        if _missing(row["fetched_at"]):
            continue
        key = (row["platform"], str(row["account_id"]))
        followers_of.setdefault(key, []).append((_to_datetime(row["fetched_at"]), _int_or_none(row["followers"])))

    # ---- per post: the chosen snapshot, in the window, with audience, er and reach
    selected: list[dict] = []
    for post_key in sorted(snapshots_of):
        snap, late = choose_snapshot(snapshots_of[post_key], cutoff)
        if not (start <= snap["published_at"] < end):
            continue
        platform = snap["platform"]
        audience = audience_at(followers_of.get((platform, snap["account_id"]), []), snap["published_at"])
        interactions = None if snap["hidden"] else snap["interactions"]
        views = snap["views"]

        er = None
        if interactions is not None:
            if platform == "tiktok":
                if views:  # views known and non-zero
                    er = Fraction(interactions, views)
            elif audience is not None:
                er = Fraction(interactions, audience)

        reach = None
        if snap["media_kind"] == "video" and views is not None and audience is not None:
            reach = Fraction(views, audience)

        for institution_id in owners[(platform, snap["account_id"])]:
            selected.append(
                {
                    **snap,
                    "institution_id": institution_id,
                    "cluster": cluster_of[institution_id],
                    "late_snapshot": late,
                    "audience": audience,
                    "er": er,
                    "reach": reach,
                }
            )

    # ---- who is ranked: institutions with >= 1 post in the window; the tie-break count
    posts_in_window: dict = {}
    for p in selected:
        posts_in_window.setdefault(p["institution_id"], set()).add((p["platform"], p["account_id"], p["post_id"]))
    ranked = sorted(posts_in_window, key=str)

    # ---- pooled accounts: (institution, platform) -> its posts
    pool: dict[tuple, list[dict]] = {}
    for p in selected:
        pool.setdefault((p["institution_id"], p["platform"]), []).append(p)

    # ---- raw measures per pooled account
    measures: dict[tuple, dict] = {}
    for institution_id in ranked:
        for platform in platforms:
            its_posts = pool.get((institution_id, platform), [])
            with_er = [p for p in its_posts if p["er"] is not None]
            image_er = [p["er"] for p in with_er if p["media_kind"] == "image"]
            video_er = [p["er"] for p in with_er if p["media_kind"] == "video"]
            video_reach = [p["reach"] for p in its_posts if p["media_kind"] == "video" and p["reach"] is not None]
            blocks = {(p["published_at"] - start) // dt.timedelta(days=block_days) for p in its_posts}
            measures[(institution_id, platform)] = {
                "posts": len(its_posts),
                "consistency": Fraction(len(blocks), n_blocks),
                "er_posts": len(with_er),
                "mean_er": _mean([p["er"] for p in with_er]),
                "image_er_posts": len(image_er),
                "mean_image_er": _mean(image_er),
                "video_er_posts": len(video_er),
                "mean_video_er": _mean(video_er),
                "mean_reach": _mean(video_reach),
                "account_ids": ",".join(sorted({p["account_id"] for p in its_posts})),
            }

    # ---- platform scores: percentiles inside one cluster and one platform
    platform_score: dict[tuple, Fraction] = {}  # (institution, platform, category) -> score
    eligible: dict[tuple, bool] = {}
    for cluster in clusters:
        members = [i for i in ranked if cluster_of[i] == cluster]
        for platform in platforms:
            m = {i: measures[(i, platform)] for i in members}

            # most_active
            active = [i for i in members if m[i]["posts"] >= 1]
            posts_pop = [Fraction(m[i]["posts"]) for i in active]
            consistency_pop = [m[i]["consistency"] for i in active]
            for i in members:
                key = (i, platform, "most_active")
                eligible[key] = i in active
                if i in active:
                    platform_score[key] = w_posts * percentile_exact(
                        Fraction(m[i]["posts"]), posts_pop
                    ) + w_consistency * percentile_exact(m[i]["consistency"], consistency_pop)
                else:
                    platform_score[key] = Fraction(0)

            # most_engaging and best_use_of_image: pct of a mean er
            for category, count_field, mean_field in (
                ("most_engaging", "er_posts", "mean_er"),
                ("best_use_of_image", "image_er_posts", "mean_image_er"),
            ):
                ok = [i for i in members if m[i][count_field] >= min_posts]
                population = [m[i][mean_field] for i in ok]
                for i in members:
                    key = (i, platform, category)
                    eligible[key] = i in ok
                    platform_score[key] = percentile_exact(m[i][mean_field], population) if i in ok else Fraction(0)

            # best_use_of_video: er and reach, or er alone where the account has no reach value
            ok = [i for i in members if m[i]["video_er_posts"] >= min_posts]
            er_population = [m[i]["mean_video_er"] for i in ok]
            reach_population = [m[i]["mean_reach"] for i in ok if m[i]["mean_reach"] is not None]
            for i in members:
                key = (i, platform, "best_use_of_video")
                eligible[key] = i in ok
                if i not in ok:
                    platform_score[key] = Fraction(0)
                    continue
                er_pct = percentile_exact(m[i]["mean_video_er"], er_population)
                if m[i]["mean_reach"] is None:
                    platform_score[key] = er_pct
                else:
                    reach_pct = percentile_exact(m[i]["mean_reach"], reach_population)
                    platform_score[key] = w_video_er * er_pct + w_video_reach * reach_pct

    # ---- category scores per institution
    category_score: dict[tuple, Fraction] = {}
    for i in ranked:
        for category in PLATFORM_CATEGORIES:
            category_score[(i, category)] = sum(
                (platform_weight[p] * platform_score[(i, p, category)] for p in platforms), Fraction(0)
            )
        category_score[(i, "best_account")] = sum(
            (best_weights[c] * category_score[(i, c)] for c in PLATFORM_CATEGORIES), Fraction(0)
        )

    # ---- rankings
    ranking_rows = []
    for category in CATEGORIES:
        for cluster in clusters:
            members = [i for i in ranked if cluster_of[i] == cluster]
            members.sort(key=lambda i: (-category_score[(i, category)], -len(posts_in_window[i]), i))
            for position, i in enumerate(members, start=1):
                score = category_score[(i, category)]
                ranking_rows.append(
                    {
                        "edition": edition_id,
                        "category": category,
                        "cluster": cluster,
                        "rank": position,
                        "institution_id": i,
                        "score": float(score),
                        "nominee": position <= nominees_per_category and score > 0,
                        "posts_in_window": len(posts_in_window[i]),
                        "methodology_version": edition.get("methodology_version"),
                    }
                )

    # ---- platform score table
    raw_field = {
        "most_active": "posts",
        "most_engaging": "mean_er",
        "best_use_of_image": "mean_image_er",
        "best_use_of_video": "mean_video_er",
    }
    counted_field = {
        "most_active": "posts",
        "most_engaging": "er_posts",
        "best_use_of_image": "image_er_posts",
        "best_use_of_video": "video_er_posts",
    }
    platform_rows = []
    for i in ranked:
        for platform in platforms:
            m = measures[(i, platform)]
            for category in PLATFORM_CATEGORIES:
                key = (i, platform, category)
                platform_rows.append(
                    {
                        "institution_id": i,
                        "cluster": cluster_of[i],
                        "platform": platform,
                        "category": category,
                        "score": float(platform_score[key]),
                        "eligible": eligible[key],
                        "raw_value": _as_float(m[raw_field[category]]),
                        "posts_counted": m[counted_field[category]],
                        "er_posts": m["er_posts"],
                        "mean_er": _as_float(m["mean_er"]),
                        "mean_reach": _as_float(m["mean_reach"]) if category == "best_use_of_video" else float("nan"),
                        "consistency": float(m["consistency"]) if category == "most_active" else float("nan"),
                        "weight": float(platform_weight[platform]),
                        "account_ids": m["account_ids"],
                    }
                )

    # ---- the per-post table
    post_rows = []
    for p in selected:
        post_rows.append(
            {
                "edition": edition_id,
                "institution_id": p["institution_id"],
                "cluster": p["cluster"],
                "platform": p["platform"],
                "account_id": p["account_id"],
                "post_id": p["post_id"],
                "published_at": p["published_at"],
                "fetched_at": p["fetched_at"],
                "media_kind": p["media_kind"],
                "interactions": p["interactions"],
                "hidden": p["hidden"],
                "views": p["views"],
                "audience": p["audience"],
                "er": _as_float(p["er"]),
                "reach": _as_float(p["reach"]),
                "late_snapshot": p["late_snapshot"],
            }
        )

    ranking_columns = [
        "edition",
        "category",
        "cluster",
        "rank",
        "institution_id",
        "score",
        "nominee",
        "posts_in_window",
        "methodology_version",
    ]
    platform_columns = [
        "institution_id",
        "cluster",
        "platform",
        "category",
        "score",
        "eligible",
        "raw_value",
        "posts_counted",
        "er_posts",
        "mean_er",
        "mean_reach",
        "consistency",
        "weight",
        "account_ids",
    ]
    post_columns = [
        "edition",
        "institution_id",
        "cluster",
        "platform",
        "account_id",
        "post_id",
        "published_at",
        "fetched_at",
        "media_kind",
        "interactions",
        "hidden",
        "views",
        "audience",
        "er",
        "reach",
        "late_snapshot",
    ]
    return {
        "rankings": pd.DataFrame(ranking_rows, columns=ranking_columns),
        "platform_scores": pd.DataFrame(platform_rows, columns=platform_columns),
        "posts": pd.DataFrame(post_rows, columns=post_columns),
    }
