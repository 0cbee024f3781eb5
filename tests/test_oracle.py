"""Tests of the reference implementation (tests/oracle.py) itself, with every expected number
worked out by hand in the comments. Tiny inputs: min_posts is overridden to 2.

Common setup unless a test says otherwise: edition window [2025-01-01, 2025-01-29) = 28 days
= 4 blocks of 7 days (block 0: Jan 1-7, 1: Jan 8-14, 2: Jan 15-21, 3: Jan 22-28);
settle_days 7 -> snapshot cutoff 2025-02-05 00:00 (inclusive); snapshots fetched 2025-02-01
unless a test says otherwise; every account has 1000 followers (fetched 2024-12-01).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.oracle import compute, percentiles

START, END = dt.date(2025, 1, 1), dt.date(2025, 1, 29)
FETCH = dt.datetime(2025, 2, 1, 9, 0)

PARAMS = {
    "settle_days": 7,
    "min_posts": 2,
    "consistency_block_days": 7,
    "activity_weights": {"posts": 0.7, "consistency": 0.3},
    "video_weights": {"er": 0.5, "reach": 0.5},
    "nominees_per_category": 5,
    "platform_weights": None,
    "best_account_weights": {
        "most_active": 0.25,
        "most_engaging": 0.25,
        "best_use_of_image": 0.25,
        "best_use_of_video": 0.25,
    },
}


def edition(platforms=("instagram",), clusters=("kementerian",)):
    return {
        "edition_id": "2025",
        "start_date": START,
        "end_date": END,
        "clusters": list(clusters),
        "platforms": list(platforms),
        "methodology_version": "v1",
    }


def snap(
    account,
    post_id,
    published,
    interactions=100,
    *,
    platform="instagram",
    kind="image",
    views=None,
    fetched=FETCH,
    source_line=1,
    source_position=0,
):
    hidden = interactions is None
    return {
        "platform": platform,
        "account_id": account,
        "post_id": post_id,
        "published_at": pd.Timestamp(published),
        "fetched_at": pd.Timestamp(fetched),
        "media_kind": kind,
        "likes": None if hidden else interactions,
        "comments": 0,
        "shares": None,
        "quotes": None,
        "interactions": interactions,
        "interactions_hidden": hidden,
        "views": views,
        "source_file": f"landed/{platform}/{account}.jsonl",
        "source_line": source_line,
        "source_position": source_position,
    }


def run(
    posts,
    *,
    institutions,
    followers=None,
    accounts=None,
    platforms=("instagram",),
    clusters=("kementerian",),
    **param_overrides,
):
    """institutions: {institution_id: cluster}; each institution has one account per platform
    named '<institution_id>_<platform>' unless `accounts` is given; every account has 1000
    followers unless `followers` is given."""
    if accounts is None:
        accounts = [
            {"institution_id": i, "platform": p, "account_id": f"{i}_{p}", "handle": f"@{i}", "role": "institution"}
            for i in institutions
            for p in platforms
        ]
    if followers is None:
        followers = [
            {
                "platform": a["platform"],
                "account_id": a["account_id"],
                "fetched_at": pd.Timestamp("2024-12-01"),
                "followers": 1000,
            }
            for a in accounts
        ]
    inst = pd.DataFrame([{"institution_id": i, "name": i.upper(), "cluster": c} for i, c in institutions.items()])
    post_df = pd.DataFrame(posts, columns=list(snap("a", "p", "2025-01-01").keys()))
    follower_df = pd.DataFrame(followers, columns=["platform", "account_id", "fetched_at", "followers"])
    return compute(
        post_df, follower_df, inst, pd.DataFrame(accounts), edition(platforms, clusters), {**PARAMS, **param_overrides}
    )


def ranking(result, category, cluster="kementerian"):
    r = result["rankings"]
    r = r[(r.category == category) & (r.cluster == cluster)].sort_values("rank")
    return list(zip(r.institution_id, r.score, r.nominee, strict=True))


def pscore(result, institution, category, platform="instagram"):
    p = result["platform_scores"]
    row = p[(p.institution_id == institution) & (p.category == category) & (p.platform == platform)]
    assert len(row) == 1
    return row.iloc[0]


def post_row(result, post_id):
    p = result["posts"]
    row = p[p.post_id == post_id]
    assert len(row) == 1
    return row.iloc[0]


# --------------------------------------------------------------------------- percentile


def test_percentile_with_ties():
    # n = 4, pct = 100 * (L + (E - 1) / 2) / 3
    # 1: L=0, E=1 -> 0;  2: L=1, E=2 -> 100 * 1.5 / 3 = 50;  3: L=3, E=1 -> 100
    assert percentiles([1, 2, 2, 3]) == [0, 50, 50, 100]
    # n = 1 -> 100
    assert percentiles([7]) == [100]
    # all equal, n = 2: L=0, E=2 -> 100 * 0.5 / 1 = 50
    assert percentiles([5, 5]) == [50, 50]
    # n = 3 with a tie at the bottom: 1,1 -> 100 * 0.5 / 2 = 25; 4 -> 100 * 2 / 2 = 100
    assert percentiles([1, 4, 1]) == [25, 100, 25]


# --------------------------------------------------------------------------- hidden likes


def test_hidden_likes_count_for_activity_but_not_for_er():
    posts = [
        # A: 3 posts in blocks 0, 1, 2; a3 has hidden likes (interactions unknown)
        snap("a_instagram", "a1", "2025-01-02 10:00", 100),
        snap("a_instagram", "a2", "2025-01-09 10:00", 300),
        snap("a_instagram", "a3", "2025-01-16 10:00", None),
        # B: 2 posts, both in block 0
        snap("b_instagram", "b1", "2025-01-02 10:00", 50),
        snap("b_instagram", "b2", "2025-01-03 10:00", 150),
    ]
    res = run(posts, institutions={"a": "kementerian", "b": "kementerian"})

    # a3 has no er and is flagged hidden; the others: interactions / 1000
    a3 = post_row(res, "a3")
    assert a3.hidden and pd.isna(a3.er)
    assert post_row(res, "a1").er == pytest.approx(0.1)

    # most_active: posts A=3, B=2 -> pct A 100, B 0; consistency A=3/4, B=1/4 -> A 100, B 0
    # A = 0.7 * 100 + 0.3 * 100 = 100; B = 0
    a_active = pscore(res, "a", "most_active")
    assert a_active.raw_value == 3 and a_active.consistency == pytest.approx(0.75)
    assert a_active.score == pytest.approx(100)
    assert pscore(res, "b", "most_active").score == pytest.approx(0)

    # most_engaging: A mean er over its 2 known posts = (0.1 + 0.3) / 2 = 0.2 (not (0.1+0.3+0)/3)
    # B = (0.05 + 0.15) / 2 = 0.1 -> A 100, B 0
    a_eng = pscore(res, "a", "most_engaging")
    assert a_eng.raw_value == pytest.approx(0.2) and a_eng.posts_counted == 2
    assert ranking(res, "most_engaging") == [("a", pytest.approx(100), True), ("b", pytest.approx(0), False)]


def test_hidden_likes_can_make_an_account_ineligible():
    # A has 2 posts but one is hidden: 1 post with er < min_posts 2 -> not eligible, score 0,
    # and not in B's population: B alone -> n = 1 -> 100
    posts = [
        snap("a_instagram", "a1", "2025-01-02", 900),
        snap("a_instagram", "a2", "2025-01-03", None),
        snap("b_instagram", "b1", "2025-01-02", 10),
        snap("b_instagram", "b2", "2025-01-03", 10),
    ]
    res = run(posts, institutions={"a": "kementerian", "b": "kementerian"})
    assert not pscore(res, "a", "most_engaging").eligible
    assert ranking(res, "most_engaging") == [("b", pytest.approx(100), True), ("a", pytest.approx(0), False)]


# --------------------------------------------------------------------------- settle cutoff


def test_settle_cutoff_and_late_snapshot():
    posts = [
        # p1: fetched Feb 1 (100), at the cutoff Feb 5 00:00 exactly (120, inclusive), Feb 10 (999)
        snap("a_instagram", "p1", "2025-01-10", 100, fetched="2025-02-01 09:00"),
        snap("a_instagram", "p1", "2025-01-10", 120, fetched="2025-02-05 00:00"),
        snap("a_instagram", "p1", "2025-01-10", 999, fetched="2025-02-10 09:00"),
        # p2: only late snapshots: Feb 8 (80) and Feb 12 (500) -> the earliest late one, flagged
        snap("a_instagram", "p2", "2025-01-20", 500, fetched="2025-02-12 09:00"),
        snap("a_instagram", "p2", "2025-01-20", 80, fetched="2025-02-08 09:00"),
        snap("b_instagram", "b1", "2025-01-02", 100),
        snap("b_instagram", "b2", "2025-01-03", 100),
    ]
    institutions = {"a": "kementerian", "b": "kementerian"}
    res = run(posts, institutions=institutions)

    p1, p2 = post_row(res, "p1"), post_row(res, "p2")
    assert p1.interactions == 120 and p1.er == pytest.approx(0.12) and not p1.late_snapshot
    assert p2.interactions == 80 and p2.er == pytest.approx(0.08) and p2.late_snapshot
    # A mean er = (0.12 + 0.08) / 2 = 0.1; B = 0.1 -> tie -> 50 each
    assert pscore(res, "a", "most_engaging").raw_value == pytest.approx(0.1)
    assert pscore(res, "a", "most_engaging").score == pytest.approx(50)

    # a later snapshot (after the cutoff, bigger numbers) changes nothing
    later = posts + [
        snap("a_instagram", "p1", "2025-01-10", 5000, fetched="2025-03-01"),
        snap("b_instagram", "b1", "2025-01-02", 5000, fetched="2025-03-01"),
    ]
    res_later = run(later, institutions=institutions)
    for table in ("rankings", "platform_scores", "posts"):
        pd.testing.assert_frame_equal(res[table], res_later[table])


def test_same_fetch_time_takes_more_interactions_hidden_lowest():
    posts = [
        # same fetch time: 70 vs 90 -> 90; a hidden one ranks below any known count
        snap("a_instagram", "p1", "2025-01-10", 70, source_line=1),
        snap("a_instagram", "p1", "2025-01-10", 90, source_line=2),
        snap("a_instagram", "p1", "2025-01-10", None, source_line=3),
        # byte-identical duplicates count once
        snap("a_instagram", "p2", "2025-01-11", 10),
        snap("a_instagram", "p2", "2025-01-11", 10),
    ]
    res = run(posts, institutions={"a": "kementerian"})
    assert post_row(res, "p1").interactions == 90
    assert pscore(res, "a", "most_active").raw_value == 2


# --------------------------------------------------------------------------- window


def test_posts_outside_the_window_are_ignored():
    posts = [
        snap("a_instagram", "in_first", "2025-01-01 00:00:00", 100),  # start 00:00: in
        snap("a_instagram", "in_last", "2025-01-28 23:59:59", 100),  # in
        snap("a_instagram", "before", "2024-12-31 23:59:59", 100),  # out
        snap("a_instagram", "at_end", "2025-01-29 00:00:00", 100),  # end is exclusive: out
        snap("c_instagram", "c1", "2024-12-15", 100),  # C has only posts outside
    ]
    res = run(posts, institutions={"a": "kementerian", "c": "kementerian"})
    assert sorted(res["posts"].post_id) == ["in_first", "in_last"]
    # A: 2 posts in blocks 0 and 3 -> consistency 2/4
    assert pscore(res, "a", "most_active").raw_value == 2
    assert pscore(res, "a", "most_active").consistency == pytest.approx(0.5)
    # C has no post in the window: not ranked at all
    assert [i for i, _, _ in ranking(res, "most_active")] == ["a"]


# --------------------------------------------------------------------------- audience


def test_audience_latest_before_publication_else_earliest_after():
    followers = [
        {
            "platform": "instagram",
            "account_id": "a_instagram",
            "fetched_at": pd.Timestamp("2025-01-01"),
            "followers": 1000,
        },
        {
            "platform": "instagram",
            "account_id": "a_instagram",
            "fetched_at": pd.Timestamp("2025-01-10"),
            "followers": 2000,
        },
        {
            "platform": "instagram",
            "account_id": "a_instagram",
            "fetched_at": pd.Timestamp("2025-01-10"),
            "followers": 2500,
        },  # same fetch time: the larger count
        {
            "platform": "instagram",
            "account_id": "a_instagram",
            "fetched_at": pd.Timestamp("2025-01-20"),
            "followers": 4000,
        },
        # B: only a snapshot after its post
        {
            "platform": "instagram",
            "account_id": "b_instagram",
            "fetched_at": pd.Timestamp("2025-01-15"),
            "followers": 500,
        },
        # C: followers 0 = unknown audience
        {
            "platform": "instagram",
            "account_id": "c_instagram",
            "fetched_at": pd.Timestamp("2024-12-01"),
            "followers": 0,
        },
    ]
    posts = [
        snap("a_instagram", "a_jan05", "2025-01-05", 100),  # latest at/before: Jan 1 -> 1000
        snap("a_instagram", "a_jan10", "2025-01-10", 100),  # at the fetch time itself: 2500
        snap("a_instagram", "a_jan25", "2025-01-25", 100),  # Jan 20 -> 4000
        snap("b_instagram", "b_jan03", "2025-01-03", 100),  # none before: earliest after -> 500
        snap("c_instagram", "c_jan03", "2025-01-03", 100),  # 0 followers: unknown, no er
        # D: no follower snapshot at all -> unknown
        snap("d_instagram", "d_jan03", "2025-01-03", 100),
    ]
    res = run(
        posts,
        followers=followers,
        institutions={"a": "kementerian", "b": "kementerian", "c": "kementerian", "d": "kementerian"},
    )
    assert post_row(res, "a_jan05").audience == 1000 and post_row(res, "a_jan05").er == pytest.approx(0.1)
    assert post_row(res, "a_jan10").audience == 2500 and post_row(res, "a_jan10").er == pytest.approx(0.04)
    assert post_row(res, "a_jan25").audience == 4000 and post_row(res, "a_jan25").er == pytest.approx(0.025)
    assert post_row(res, "b_jan03").audience == 500 and post_row(res, "b_jan03").er == pytest.approx(0.2)
    for post_id in ("c_jan03", "d_jan03"):
        row = post_row(res, post_id)
        assert pd.isna(row.audience) and pd.isna(row.er)
    # C and D still count for activity: 4 institutions ranked in most_active
    assert len(ranking(res, "most_active")) == 4


def test_tiktok_er_divides_by_views_not_audience():
    posts = [
        snap("a_tiktok", "t1", "2025-01-02", 100, platform="tiktok", kind="video", views=400),  # 0.25
        snap("a_tiktok", "t2", "2025-01-03", 100, platform="tiktok", kind="video", views=0),  # no er
    ]
    # no follower snapshot: audience unknown, but tiktok er does not need it (and no reach)
    res = run(posts, institutions={"a": "kementerian"}, platforms=("tiktok",), followers=[])
    assert post_row(res, "t1").er == pytest.approx(0.25) and pd.isna(post_row(res, "t1").reach)
    assert pd.isna(post_row(res, "t2").er)


# --------------------------------------------------------------------------- clusters


def test_cluster_isolation():
    institutions = {"k1": "kementerian", "k2": "kementerian", "l1": "lembaga", "p1": "ptn"}
    posts = [
        snap("k1_instagram", "k1a", "2025-01-02", 100),
        snap("k1_instagram", "k1b", "2025-01-09", 100),
        snap("k1_instagram", "k1c", "2025-01-16", 100),
        snap("k2_instagram", "k2a", "2025-01-02", 100),
        snap("l1_instagram", "l1a", "2025-01-02", 100),  # 1 post only
        snap("p1_instagram", "p1a", "2025-01-02", 100),  # ptn is not awarded by this edition
    ]
    res = run(posts, institutions=institutions, clusters=("kementerian", "lembaga"))
    # kementerian: k1 3 posts / 3 blocks vs k2 1 post / 1 block -> 100 and 0
    assert ranking(res, "most_active") == [("k1", pytest.approx(100), True), ("k2", pytest.approx(0), False)]
    # lembaga: l1 alone (n = 1) -> pct 100 on both parts -> 100, although k1 posts more
    assert ranking(res, "most_active", "lembaga") == [("l1", pytest.approx(100), True)]
    assert "p1" not in set(res["rankings"].institution_id)

    # more kementerian activity changes nothing in lembaga
    more = posts + [snap("k2_instagram", f"k2x{n}", "2025-01-20", 999) for n in range(5)]
    res_more = run(more, institutions=institutions, clusters=("kementerian", "lembaga"))
    assert ranking(res_more, "most_active", "lembaga") == ranking(res, "most_active", "lembaga")


def test_leader_accounts_are_not_scored():
    accounts = [
        {
            "institution_id": "a",
            "platform": "instagram",
            "account_id": "a_instagram",
            "handle": "@a",
            "role": "institution",
        },
        {"institution_id": "a", "platform": "instagram", "account_id": "a_minister", "handle": "@m", "role": "leader"},
    ]
    posts = [
        snap("a_instagram", "a1", "2025-01-02"),
        snap("a_minister", "m1", "2025-01-02"),
        snap("a_minister", "m2", "2025-01-03"),
    ]
    res = run(posts, institutions={"a": "kementerian"}, accounts=accounts)
    assert list(res["posts"].post_id) == ["a1"]
    assert pscore(res, "a", "most_active").raw_value == 1


# --------------------------------------------------------------------------- ties


def test_ties_broken_by_posts_then_institution_id_never_row_order():
    # all three have every er = 100 / 1000 = 0.1 -> equal mean er -> most_engaging pct:
    # L = 0, E = 3 -> 100 * 1 / 2 = 50 each. Posts in window: b 3, a 2, c 2.
    # Order: b (more posts), then a before c (id ascending).
    posts = [
        snap("c_instagram", "c1", "2025-01-02"),
        snap("c_instagram", "c2", "2025-01-03"),
        snap("a_instagram", "a1", "2025-01-02"),
        snap("a_instagram", "a2", "2025-01-03"),
        snap("b_instagram", "b1", "2025-01-02"),
        snap("b_instagram", "b2", "2025-01-03"),
        snap("b_instagram", "b3", "2025-01-04"),
    ]
    institutions = {"c": "kementerian", "b": "kementerian", "a": "kementerian"}
    expected = [("b", pytest.approx(50), True), ("a", pytest.approx(50), True), ("c", pytest.approx(50), True)]
    assert ranking(run(posts, institutions=institutions), "most_engaging") == expected
    # same answer whatever the row order of the inputs
    assert ranking(run(posts[::-1], institutions=dict(reversed(institutions.items()))), "most_engaging") == expected


def test_nominees_limited_and_positive():
    # 3 institutions, nominees_per_category 2: ranks 1-2 with score > 0 are nominees
    posts = [
        snap("a_instagram", "a1", "2025-01-02"),
        snap("a_instagram", "a2", "2025-01-09"),
        snap("b_instagram", "b1", "2025-01-02"),
        snap("b_instagram", "b2", "2025-01-03"),
        snap("c_instagram", "c1", "2025-01-02"),
    ]
    res = run(posts, institutions={"a": "kementerian", "b": "kementerian", "c": "kementerian"}, nominees_per_category=2)
    # posts: a 2, b 2, c 1 -> pct: a,b = 100*(1+0.5)/2 = 75, c = 0
    # consistency: a 2/4, b 1/4, c 1/4 -> a = 100, b,c = 100*0.5/2 = 25
    # a = 0.7*75 + 0.3*100 = 82.5; b = 0.7*75 + 0.3*25 = 60; c = 0.7*0 + 0.3*25 = 7.5
    assert ranking(res, "most_active") == [
        ("a", pytest.approx(82.5), True),
        ("b", pytest.approx(60), True),
        ("c", pytest.approx(7.5), False),
    ]
    # best_use_of_video: nobody eligible -> all 0, no nominee even at rank 1
    assert [n for _, _, n in ranking(res, "best_use_of_video")] == [False, False, False]


# --------------------------------------------------------------------------- video


def test_best_use_of_video_with_reach_youtube():
    def yt(account, post_id, day, interactions, views):
        return snap(account, post_id, f"2025-01-{day:02d}", interactions, platform="youtube", kind="video", views=views)

    posts = [
        # y1: er 0.1, 0.2 -> 0.15; third video has hidden likes (no er) but still has a reach
        # reach 1000/1000 = 1, 3000/1000 = 3, 5000/1000 = 5 -> mean 3
        yt("y1_youtube", "y1a", 2, 100, 1000),
        yt("y1_youtube", "y1b", 3, 200, 3000),
        yt("y1_youtube", "y1c", 4, None, 5000),
        # y2: er 0.3, 0.3 -> 0.3; reach 0.5, 0.5 -> 0.5
        yt("y2_youtube", "y2a", 2, 300, 500),
        yt("y2_youtube", "y2b", 3, 300, 500),
        # y3: er 0.15, 0.15 -> 0.15; reach: unknown views, 1500/1000 = 1.5 -> mean 1.5
        yt("y3_youtube", "y3a", 2, 150, None),
        yt("y3_youtube", "y3b", 3, 150, 1500),
    ]
    res = run(
        posts, institutions={"y1": "kementerian", "y2": "kementerian", "y3": "kementerian"}, platforms=("youtube",)
    )
    # er pct (n=3): y1, y3 tie at 0.15 -> 100 * 0.5 / 2 = 25; y2 -> 100
    # reach pct (n=3): y2 0.5 -> 0; y3 1.5 -> 50; y1 3 -> 100
    # y1 = 0.5*25 + 0.5*100 = 62.5; y2 = 0.5*100 + 0.5*0 = 50; y3 = 0.5*25 + 0.5*50 = 37.5
    assert pscore(res, "y1", "best_use_of_video", "youtube").mean_reach == pytest.approx(3)
    assert pscore(res, "y1", "best_use_of_video", "youtube").raw_value == pytest.approx(0.15)
    assert ranking(res, "best_use_of_video") == [
        ("y1", pytest.approx(62.5), True),
        ("y2", pytest.approx(50), True),
        ("y3", pytest.approx(37.5), True),
    ]


@pytest.mark.parametrize("platform", ["facebook", "instagram"])
def test_best_use_of_video_without_reach(platform):
    # no views on facebook/instagram -> score = pct(mean er)
    posts = [
        snap(f"f1_{platform}", "f1a", "2025-01-02", 200, platform=platform, kind="video"),
        snap(f"f1_{platform}", "f1b", "2025-01-03", 400, platform=platform, kind="video"),  # mean 0.3
        snap(f"f2_{platform}", "f2a", "2025-01-02", 100, platform=platform, kind="video"),
        snap(f"f2_{platform}", "f2b", "2025-01-03", 100, platform=platform, kind="video"),  # mean 0.1
        snap(f"f2_{platform}", "f2c", "2025-01-04", 900, platform=platform, kind="image"),  # not a video
    ]
    res = run(posts, institutions={"f1": "kementerian", "f2": "kementerian"}, platforms=(platform,))
    assert ranking(res, "best_use_of_video") == [("f1", pytest.approx(100), True), ("f2", pytest.approx(0), False)]
    assert pd.isna(pscore(res, "f1", "best_use_of_video", platform).mean_reach)


def test_reach_percentile_only_among_accounts_with_reach():
    def x(account, post_id, day, interactions, views):
        return snap(account, post_id, f"2025-01-{day:02d}", interactions, platform="x", kind="video", views=views)

    posts = [
        x("x1_x", "x1a", 2, 200, 2000),
        x("x1_x", "x1b", 3, 200, 2000),  # er 0.2, reach 2
        x("x2_x", "x2a", 2, 100, None),
        x("x2_x", "x2b", 3, 100, None),  # er 0.1, no reach
        x("x3_x", "x3a", 2, 300, 1000),
        x("x3_x", "x3b", 3, 300, 1000),  # er 0.3, reach 1
    ]
    res = run(posts, institutions={"x1": "kementerian", "x2": "kementerian", "x3": "kementerian"}, platforms=("x",))
    # er pct (n=3): x2 0, x1 50, x3 100. reach pct among {x1, x3} (n=2): x3 0, x1 100
    # x1 = 0.5*50 + 0.5*100 = 75; x3 = 0.5*100 + 0.5*0 = 50; x2 = er pct only = 0
    assert ranking(res, "best_use_of_video") == [
        ("x1", pytest.approx(75), True),
        ("x3", pytest.approx(50), True),
        ("x2", pytest.approx(0), False),
    ]


# --------------------------------------------------------------------------- institutions


def test_platform_presence_pooling_and_best_account():
    accounts = [
        {"institution_id": "a", "platform": "instagram", "account_id": "a_ig1", "handle": "@a1", "role": "institution"},
        {"institution_id": "a", "platform": "instagram", "account_id": "a_ig2", "handle": "@a2", "role": "institution"},
        {"institution_id": "a", "platform": "facebook", "account_id": "a_fb", "handle": "@a", "role": "institution"},
        {"institution_id": "b", "platform": "instagram", "account_id": "b_ig", "handle": "@b", "role": "institution"},
    ]
    posts = [
        # A's two instagram accounts pool into one: 2 image posts, er 0.1 and 0.3 -> mean 0.2
        snap("a_ig1", "a1", "2025-01-02", 100),
        snap("a_ig2", "a2", "2025-01-09", 300),
        # A on facebook, B absent there
        snap("a_fb", "f1", "2025-01-02", 100, platform="facebook"),
        # B on instagram: 2 image posts, er 0.1, 0.1 -> 0.1
        snap("b_ig", "b1", "2025-01-02", 100),
        snap("b_ig", "b2", "2025-01-03", 100),
    ]
    res = run(
        posts,
        institutions={"a": "kementerian", "b": "kementerian"},
        accounts=accounts,
        platforms=("instagram", "facebook"),
    )
    # w_p = 1/2. most_active instagram: posts 2 vs 2 -> 50, 50; consistency 2/4 vs 1/4 -> A 100, B 0
    #   A ig = 0.7*50 + 0.3*100 = 65, B ig = 0.7*50 = 35; facebook: A alone -> 100, B absent -> 0
    #   A = 0.5*65 + 0.5*100 = 82.5; B = 0.5*35 + 0 = 17.5
    # most_engaging / best_use_of_image (instagram only; facebook A has 1 post < 2): A 100, B 0
    #   -> A = 0.5*100 = 50, B = 0
    # best_use_of_video: nobody -> 0
    # best_account A = 0.25 * (82.5 + 50 + 50 + 0) = 45.625; B = 0.25 * 17.5 = 4.375
    assert pscore(res, "a", "most_engaging").account_ids == "a_ig1,a_ig2"
    assert ranking(res, "most_active") == [("a", pytest.approx(82.5), True), ("b", pytest.approx(17.5), True)]
    assert ranking(res, "most_engaging") == [("a", pytest.approx(50), True), ("b", pytest.approx(0), False)]
    assert ranking(res, "best_use_of_image") == [("a", pytest.approx(50), True), ("b", pytest.approx(0), False)]
    assert ranking(res, "best_account") == [("a", pytest.approx(45.625), True), ("b", pytest.approx(4.375), True)]
    # every ranked institution has a row in every category
    assert res["rankings"].groupby("category").size().to_dict() == dict.fromkeys(
        ("most_active", "most_engaging", "best_use_of_image", "best_use_of_video", "best_account"), 2
    )


def test_platform_weights_set_and_missing():
    posts = [
        snap("a_instagram", "a1", "2025-01-02"),
        snap("a_facebook", "f1", "2025-01-02", platform="facebook"),
        snap("b_instagram", "b1", "2025-01-02"),
        snap("b_instagram", "b2", "2025-01-09"),
    ]
    institutions = {"a": "kementerian", "b": "kementerian"}
    res = run(
        posts,
        institutions=institutions,
        platforms=("instagram", "facebook"),
        platform_weights={"instagram": 0.8, "facebook": 0.2},
    )
    # instagram: posts a 1, b 2 -> 0, 100; consistency a 1/4, b 2/4 -> 0, 100 -> a 0, b 100
    # facebook: a alone -> 100. a = 0.8*0 + 0.2*100 = 20; b = 0.8*100 = 80
    assert ranking(res, "most_active") == [("b", pytest.approx(80), True), ("a", pytest.approx(20), True)]
    with pytest.raises(ValueError):
        run(posts, institutions=institutions, platforms=("instagram", "facebook"), platform_weights={"instagram": 1.0})
