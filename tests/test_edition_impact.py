"""gsm_platform.edition_impact against real dbt rebuilds: for each case, rows are added to the
cleaned tables of a built edition, the impact is asked, and the edition is rebuilt; the answer
"stands" must mean the rebuild changed nothing, and each "changed" case here really changes
the rebuild.

    edition 2025: window [2025-01-01, 2025-01-29), cutoff 2025-02-05 00:00 WIB (settle 7 days)
    ig_a  a1 published Jan 10, fetched Feb 1 (on time); followers Dec 1
    ig_b  b1 published Jan 12, only fetched Apr 10 (late snapshot); followers Dec 1
    ig_c  c1 published Jan 15, fetched Feb 1; its only follower snapshot is Apr 20 (audience
          from the earliest later one)
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from gsm_platform.edition_impact import impact_of_months
from tests.dbt_support import Warehouse, build_warehouse, ig_post, ig_posts, ig_profile

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

REGISTRY = """institutions:
  - {id: k_a, name: A, cluster: kementerian, accounts: [{platform: instagram, account_id: ig_a, handle: a}]}
  - {id: k_b, name: B, cluster: kementerian, accounts: [{platform: instagram, account_id: ig_b, handle: b}]}
  - {id: k_c, name: C, cluster: kementerian, accounts: [{platform: instagram, account_id: ig_c, handle: c}]}
"""
EDITIONS = """editions:
  - {id: "2025", start: 2025-01-01, end: 2025-01-29, clusters: [kementerian], platforms: [instagram], methodology: v1}
"""
BUILT = (
    "SELECT * FROM main.int_post_snapshots_selected ORDER BY ALL",
    "SELECT * FROM main.int_posts_scored ORDER BY ALL",
    "SELECT * FROM main.rankings ORDER BY ALL",
)

# the columns a follower row below gives (the table has more, added later)
FOLLOWER_COLUMNS = (
    "(platform, account_id, fetched_at, fetch_date, followers, origin, source_file, source_line, source_position)"
)


def wib(day: str, time: str = "09:00:00") -> str:
    return f"{day}T{time}+07:00"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Warehouse:
    envelopes = [
        ig_profile("ig_a", wib("2024-12-01"), 1000),
        ig_profile("ig_b", wib("2024-12-01"), 1000),
        ig_profile("ig_c", wib("2025-04-20"), 500),
        ig_posts("ig_a", wib("2025-02-01"), [ig_post("a1", wib("2025-01-10"), 100)]),
        ig_posts("ig_b", wib("2025-04-10"), [ig_post("b1", wib("2025-01-12"), 100)]),
        ig_posts("ig_c", wib("2025-02-01"), [ig_post("c1", wib("2025-01-15"), 100)]),
    ]
    return build_warehouse(tmp_path_factory.mktemp("impact"), REGISTRY, EDITIONS, envelopes, editions=["2025"])


def _built(path: Path) -> list:
    with duckdb.connect(str(path), read_only=True) as conn:
        return [conn.execute(q).fetchall() for q in BUILT]


def _naive_wib(at: str) -> dt.datetime:
    """The cleaned tables hold WIB wall times."""
    return dt.datetime.fromisoformat(at).replace(tzinfo=None)


def _post(account: str, post_id: str, published: str, fetched: str, likes: int, line: int) -> tuple:
    fetched_at = _naive_wib(fetched)
    return (
        "instagram",
        account,
        post_id,
        _naive_wib(published),
        fetched_at,
        fetched_at.date(),
        "image",
        likes,
        0,
        None,
        None,
        likes,
        False,
        None,
        "tests/added.jsonl",
        line,
        0,
    )


def _follower(account: str, fetched: str, followers: int, line: int) -> tuple:
    fetched_at = _naive_wib(fetched)
    return ("instagram", account, fetched_at, fetched_at.date(), followers, "profile", "tests/added.jsonl", line, 0)


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory) -> Path:
    """One place for every case's copy, so that dbt's partial parsing holds from case to case."""
    return tmp_path_factory.mktemp("impact_case")


def _case(base: Warehouse, case_dir: Path, months: list[str], posts=(), followers=(), delete: str = ""):
    """Copies the built warehouse, changes its cleaned rows, asks the impact, then rebuilds."""
    path = case_dir / "warehouse.duckdb"
    shutil.copy(base.path, path)
    with duckdb.connect(str(path)) as conn:
        if delete:
            conn.execute(delete)
        for row in posts:
            conn.execute(f"INSERT INTO clean.post_snapshots VALUES ({', '.join('?' * len(row))})", list(row))
        for row in followers:
            conn.execute(
                f"INSERT INTO clean.follower_snapshots {FOLLOWER_COLUMNS} VALUES ({', '.join('?' * len(row))})",
                list(row),
            )
        impact = impact_of_months(conn, "2025", [dt.date.fromisoformat(m + "-01") for m in months])
    copy = Warehouse(path, case_dir)
    copy.build("2025", "run")  # the models, without their tests: the rows are what is compared
    return impact, _built(path) != _built(base.path)


def test_the_base_has_one_late_snapshot_and_one_later_audience(base):
    late = base.query("SELECT post_id FROM main.int_post_snapshots_selected WHERE late_snapshot")
    later = base.query("SELECT post_id FROM main.int_posts_scored WHERE audience_fetched_at > published_at")
    assert list(late.post_id) == ["b1"] and list(later.post_id) == ["c1"]


def test_rows_no_rebuild_would_use_leave_the_edition_standing(base, case_dir):
    impact, rebuilt_differs = _case(
        base,
        case_dir,
        ["2025-05"],
        posts=[
            _post("ig_a", "a1", wib("2025-01-10"), wib("2025-05-02"), 999, 1),  # on time already: later pulls ignored
            _post("ig_b", "b1", wib("2025-01-12"), wib("2025-05-03"), 999, 2),  # later than its late snapshot
            _post("ig_a", "a2", wib("2025-02-10"), wib("2025-05-01"), 50, 3),  # published after the window
        ],
        followers=[_follower("ig_c", wib("2025-05-05"), 9000, 4)],
    )  # later than the audience used
    assert not impact.changed, impact
    assert not rebuilt_differs


def test_an_earlier_late_snapshot_changes_the_edition(base, case_dir):
    impact, rebuilt_differs = _case(
        base, case_dir, ["2025-03"], posts=[_post("ig_b", "b1", wib("2025-01-12"), wib("2025-03-05"), 555, 1)]
    )
    assert impact.changed and impact.counts["late_posts"] == 1, impact
    assert rebuilt_differs


def test_a_post_first_seen_after_the_cutoff_changes_the_edition(base, case_dir):
    impact, rebuilt_differs = _case(
        base, case_dir, ["2025-05"], posts=[_post("ig_a", "a3", wib("2025-01-20"), wib("2025-05-01"), 70, 1)]
    )
    assert impact.changed and impact.counts["late_posts"] == 1, impact
    assert rebuilt_differs


def test_an_earlier_later_follower_snapshot_changes_the_audience(base, case_dir):
    impact, rebuilt_differs = _case(
        base, case_dir, ["2025-03"], followers=[_follower("ig_c", wib("2025-03-01"), 2000, 1)]
    )
    assert impact.changed and impact.counts["follower_accounts"] == 1, impact
    assert rebuilt_differs


def test_a_re_cleaned_month_holding_the_late_snapshot_used_changes_the_edition(base, case_dir):
    impact, rebuilt_differs = _case(
        base,
        case_dir,
        ["2025-04"],
        delete="DELETE FROM clean.post_snapshots WHERE post_id = 'b1'",
        posts=[_post("ig_b", "b1", wib("2025-01-12"), wib("2025-04-10"), 777, 1)],
    )
    assert impact.changed and impact.counts["selected_in_months"] == 1, impact
    assert rebuilt_differs


def test_a_month_reaching_the_cutoff_changes_the_edition(base, case_dir):
    impact, rebuilt_differs = _case(
        base, case_dir, ["2025-02"], posts=[_post("ig_a", "a1", wib("2025-01-10"), wib("2025-02-03"), 300, 1)]
    )
    assert impact.changed and "reaches the snapshot cutoff" in impact.reason, impact
    assert rebuilt_differs


def test_no_month_no_change(base):
    with base.connect() as conn:
        assert not impact_of_months(conn, "2025", []).changed
        assert impact_of_months(conn, "1999", [dt.date(2025, 5, 1)]).changed  # never built here
