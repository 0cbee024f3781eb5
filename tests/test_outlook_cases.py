"""The GSM Outlook's churn and collaboration rules on hand-built envelopes through the real dbt
project (tests/dbt_support.py), every expected row worked out by hand.

    edition "2025": window [2025-01-01, 2025-07-01) at 00:00 WIB, kementerian, instagram;
    quiet days 90: started_posting = first post on or after 2025-04-01 00:00 WIB,
    went_silent = last post before 2025-04-02 00:00 WIB (July 1 minus 90 days)
    every account has 1000 followers; post snapshots fetched 2025-07-03 (inside the settle days)

k_a has a leader account on Instagram (ig_lead, @menteri.a). Its posts:
    a1 collaborators name the leader (by username)        collab (coauthor)   likes 300
    a2 caption "... bersama @Menteri.A."                   collab (mention)    likes 500
    a3 the same media_url as a post of the leader          collab (same media) likes 400
    a4 caption "@menteri.ab" (another handle)              other               likes 100
    a5 plain                                               other               likes 200
    a6 collaborators name @menteri.b, k_b's leader        other               likes  50
so the median er with the leader is that of 400 likes and of the others that of 100: a ratio of 4.
"""

from __future__ import annotations

import pytest

from tests.dbt_support import build_warehouse, envelope, ig_post, ig_posts

pytestmark = pytest.mark.e2e

FETCH = "2025-07-03T09:00:00+07:00"

REGISTRY = """institutions:
  - id: k_a
    name: Kementerian A
    cluster: kementerian
    lifecycle:
      - {date: 2024-10-21, event: created}
    accounts:
      - {platform: instagram, account_id: "ig_a", handle: k_a}
    leaders:
      - name: Menteri A
        accounts:
          - {platform: instagram, account_id: "ig_lead", handle: "menteri.a"}
  - id: k_b
    name: Kementerian B
    cluster: kementerian
    lifecycle:
      - {date: 2025-02-01, event: created}
    accounts:
      - {platform: instagram, account_id: "ig_b", handle: k_b}
    leaders:
      - name: Menteri B
        accounts:
          - {platform: instagram, account_id: "ig_lead_b", handle: "menteri.b"}
  - id: k_c
    name: Kementerian C
    cluster: kementerian
    lifecycle:
      - {date: 2025-05-01, event: merged, into: k_a}
    accounts:
      - {platform: instagram, account_id: "ig_c", handle: k_c}
  - id: k_d
    name: Kementerian D
    cluster: kementerian
    accounts:
      - platform: instagram
        account_id: "ig_d"
        handle: k_d
        lifecycle:
          - {date: 2025-03-10, event: renamed, previous_name: k_d_old}
"""

EDITIONS = """editions:
  - {id: "2025", start: 2025-01-01, end: 2025-07-01, clusters: [kementerian], platforms: [instagram], methodology: v1}
"""


def at(month: int, d: int, hour: int = 10) -> str:
    return f"2025-{month:02d}-{d:02d}T{hour:02d}:00:00+07:00"


def post(post_id: str, when: str, likes: int, **extra) -> dict:
    return {**ig_post(post_id, when, likes), **extra}


def profile(account_id: str, fetched_at: str, username: str) -> dict:
    body = {"id": account_id, "username": username, "followers_count": 1000}
    return envelope("instagram", "profile", account_id, fetched_at, body)


def envelopes() -> list[dict]:
    lead = {"data": [{"id": "ig_lead", "username": "menteri.a"}]}
    other_lead = {"data": [{"id": "ig_lead_b", "username": "menteri.b"}]}
    a_posts = [
        post("a1", at(2, 1), 300, collaborators=lead),
        post("a2", at(2, 2), 500, caption="Rapat bersama @Menteri.A."),
        post("a3", at(2, 3), 400, media_url="https://cdn.example/m3.jpg"),
        post("a4", at(2, 4), 100, caption="Salam @menteri.ab"),
        post("a5", at(2, 5), 200),
        post("a6", at(2, 6), 50, collaborators=other_lead),
    ]
    out = [ig_posts("ig_a", FETCH, a_posts)]
    # the leader posted a3's media months later, and one post of its own
    out.append(ig_posts("ig_lead", FETCH, [post("l1", at(5, 1), 9000, media_url="https://cdn.example/m3.jpg")]))
    out.append(ig_posts("ig_b", FETCH, [post("b1", at(4, 15), 10), post("b2", at(6, 1), 10)]))  # started
    out.append(ig_posts("ig_c", FETCH, [post("c1", at(1, 5), 10), post("c2", at(3, 15), 10)]))  # went silent
    out.append(ig_posts("ig_d", FETCH, [post("d1", at(1, 5), 10), post("d2", at(6, 20), 10)]))  # neither
    for account in ("ig_a", "ig_b", "ig_c", "ig_lead", "ig_lead_b"):
        out.append(profile(account, "2024-12-01T09:00:00+07:00", account))
    # ig_d: the old handle until the rename, then the new one (twice: one change only)
    out.append(profile("ig_d", "2024-12-01T09:00:00+07:00", "k_d_old"))
    out.append(profile("ig_d", "2025-01-10T09:00:00+07:00", "k_d_old"))
    out.append(profile("ig_d", "2025-03-11T09:00:00+07:00", "k_d"))
    out.append(profile("ig_d", "2025-05-11T09:00:00+07:00", "K_D"))  # only the case differs: no change
    return out


@pytest.fixture(scope="module")
def wh(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("outlook_cases"), REGISTRY, EDITIONS, envelopes(), ["2025"])


def test_collaboration_rules(wh):
    posts = wh.query(
        """SELECT post_id, collab_coauthor, collab_mention, collab_same_media, is_collaboration, has_leader_account
           FROM main.outlook_posts WHERE edition_id = '2025' AND account_id = 'ig_a' ORDER BY post_id"""
    )
    got = {r.post_id: (r.collab_coauthor, r.collab_mention, r.collab_same_media) for r in posts.itertuples()}
    assert got == {
        "a1": (True, False, False),
        "a2": (False, True, False),
        "a3": (False, False, True),
        "a4": (False, False, False),
        "a5": (False, False, False),
        "a6": (False, False, False),
    }
    assert posts.has_leader_account.all()
    # the leader's own posts are not the institution's: never counted
    assert wh.query("SELECT count(*) FROM main.outlook_posts WHERE account_id = 'ig_lead'").iloc[0, 0] == 0


def test_collaboration_effect(wh):
    rows = wh.marts("outlook_collaboration", "2025")
    assert len(rows) == 1  # only k_a and k_b have a leader account; k_b's posts have none made with it
    r = rows.iloc[0]
    assert (r.cluster, r.platform, r.institutions) == ("kementerian", "instagram", 2)
    assert (r.collab_posts, r.other_posts) == (3, 3 + 2)  # k_a's three others and k_b's two posts
    assert (r.coauthor_posts, r.mention_posts, r.same_media_posts) == (1, 1, 1)
    # medians: with the leader 400 likes, others 50, 100, 200, 10, 10 -> 50: a ratio of 8
    assert r.collab_median_er / r.other_median_er == pytest.approx(8.0)
    assert r.median_er_difference == pytest.approx(r.collab_median_er - r.other_median_er)
    # every bootstrap median is one of the values: the interval lies between the extreme differences
    unit = r.collab_median_er / 400
    assert (300 - 200) * unit - 1e-12 <= r.interval_low <= r.median_er_difference <= r.interval_high
    assert r.interval_high <= (500 - 10) * unit + 1e-12
    assert (r.interval_level, r.bootstrap_replicates) == (0.95, 4000)


def test_churn_rules(wh):
    churn = wh.marts("outlook_churn", "2025")
    got = sorted(
        (
            r.event,
            r.source,
            r.institution_id,
            r.account_id if isinstance(r.account_id, str) else "",
            str(r.event_date)[:10],
        )
        for r in churn.itertuples()
    )
    assert got == [
        ("created", "registry", "k_b", "", "2025-02-01"),
        ("handle_changed", "observed", "k_d", "ig_d", "2025-03-11"),
        ("merged", "registry", "k_c", "", "2025-05-01"),
        ("renamed", "registry", "k_d", "ig_d", "2025-03-10"),
        ("started_posting", "observed", "k_b", "ig_b", "2025-04-15"),
        ("went_silent", "observed", "k_a", "ig_a", "2025-02-06"),  # all of k_a's posts are in February
        ("went_silent", "observed", "k_c", "ig_c", "2025-03-15"),
    ]
    # k_a's creation (2024-10-21) is before the window: not an event of this edition
