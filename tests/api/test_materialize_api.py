"""`gsm materialize --source api` end to end against the fake platform servers: a small
edition (three institutions in each of two clusters, every platform) pulled through the real
Dagster jobs and dbt into rankings, with faults on the way, a rejected token, a re-run that
does not pull a closed window again, and no credential anywhere in GSM_HOME or the output."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from gsm_platform.cli import main
from tests.api.fakes import WIB, FakeYouTube

pytestmark = pytest.mark.e2e  # runs real Dagster jobs or dbt builds

EDITION = "api-2025-03"
START, END = dt.date(2025, 3, 1), dt.date(2025, 4, 1)  # closed long before the test runs
CLUSTERS = {"kementerian": 3, "lembaga": 3}


def at(day: int, hour: int, month: int = 3) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=WIB)


def times_for(n: int) -> list[dt.datetime]:
    """n publication times spread over March (inside the window), newest first, plus one before
    and one after the window that must never be counted."""
    inside = [at(1 + (k * 29) // max(n - 1, 1), 9 + k % 10) for k in range(n)]
    return sorted(inside + [at(10, 12, month=2), at(20, 12, month=4)], reverse=True)


def in_window(moment: dt.datetime) -> bool:
    return dt.datetime(2025, 3, 1, tzinfo=WIB) <= moment < dt.datetime(2025, 4, 1, tzinfo=WIB)


class Edition:
    """The fakes filled with a small edition; `served` = every post of the window per platform."""

    def __init__(self, fake_api, tmp_path: Path):
        self.fakes = {p: fake_api(p) for p in ("facebook", "instagram", "x", "youtube", "tiktok")}
        self.served: dict[str, set[str]] = {p: set() for p in self.fakes}
        self.ids: dict[str, list[str]] = {p: [] for p in self.fakes}  # account ids, registry order
        institutions = []
        n = 0
        for cluster, count in [*CLUSTERS.items(), ("bumn", 1)]:  # bumn: not in the edition, never pulled
            for k in range(count):
                institutions.append(
                    {
                        "id": f"{cluster}-{k}",
                        "name": f"{cluster.title()} {k}",
                        "cluster": cluster,
                        "accounts": self.accounts(n, posts=3 + n, count=cluster != "bumn"),
                    }
                )
                n += 1
        self.deleted_page = self.ids["facebook"][1]
        self.fakes["facebook"].pages[self.deleted_page]["deleted"] = True
        self.served["facebook"] = {p for p in self.served["facebook"] if not p.startswith(self.deleted_page + "_")}
        self.registry = tmp_path / "registry.yaml"
        self.registry.write_text(json.dumps({"institutions": institutions}, indent=1))  # JSON is YAML
        self.editions = tmp_path / "editions.yaml"
        self.editions.write_text(
            json.dumps(
                {
                    "editions": [
                        {
                            "id": EDITION,
                            "name": "api test edition",
                            "start": START.isoformat(),
                            "end": END.isoformat(),
                            "clusters": list(CLUSTERS),
                            "platforms": list(self.fakes),
                            "methodology": "v1",
                        }
                    ]
                }
            )
        )

    def accounts(self, n: int, posts: int, count: bool) -> list[dict]:
        f = self.fakes
        times = times_for(posts)
        made = [
            f["facebook"].add(
                f"10006450000{n:04d}", [(f"{k}", t) for k, t in enumerate(times)], followers=2000 + 300 * n
            ),
            f["instagram"].add(
                f"1784140000000{n:04d}",
                f"akun{n}",
                [(f"m{n}_{k}", t) for k, t in enumerate(times)],
                followers=3000 + 200 * n,
            ),
            f["x"].add(f"90{n:04d}", [(f"7{n:03d}{k:03d}", t) for k, t in enumerate(times)], followers=500 + 50 * n),
            f["youtube"].add(
                f"UC{n:022d}", [(f"vid{n}_{k}", t) for k, t in enumerate(times)], subscribers=1000 + 10 * n
            ),
            f["tiktok"].add(
                f"tt{n}",
                [(7340000000000000000 + 1000 * n + k, t) for k, t in enumerate(times)],
                followers=4000 + 100 * n,
            ),
        ]
        out = []
        for account in made:
            p = account.platform
            self.ids[p].append(account.account_id)
            if count:
                for post_id, t in self.posts_of(p, account.account_id):
                    if in_window(t):
                        self.served[p].add(post_id)
            out.append(
                {
                    "platform": p,
                    "account_id": account.account_id,
                    **({"handle": account.handle} if account.handle else {}),
                }
            )
        return out

    def posts_of(self, platform: str, account_id: str) -> list[tuple[str, dt.datetime]]:
        f = self.fakes[platform]
        if platform == "facebook":
            return [(f"{account_id}_{pid}", t) for pid, t in f.pages[account_id]["posts"]]
        if platform == "instagram":
            user = next(u for u in f.users.values() if u["id"] == account_id)
            return list(user["media"])
        if platform == "x":
            return list(f.users[account_id]["tweets"])
        if platform == "youtube":
            return list(f.channels[account_id]["videos"])
        return [(str(vid), t) for vid, t in f.users[account_id]["videos"]]

    def env(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for fake in self.fakes.values():
            out.update(fake.env)
        return out

    def secrets(self) -> list[str]:
        return [FakeYouTube.KEY] + [f.TOKEN for p, f in self.fakes.items() if p != "youtube"]

    def requests(self) -> dict[str, int]:
        return {p: len(f.server.requests) for p, f in self.fakes.items()}

    def posts_requests(self, since: dict[str, int]) -> dict[str, int]:
        """Requests for posts (not profiles) per platform after the counts in `since`."""

        def is_posts(p: str, r) -> bool:
            if p == "instagram":
                return "media{" in r.query.get("fields", "") or "media.after" in r.query.get("fields", "")
            return any(s in r.path for s in ("/posts", "/tweets", "/playlistItems", "/videos", "/video/query/"))

        return {p: sum(is_posts(p, r) for r in f.server.requests[since[p] :]) for p, f in self.fakes.items()}


def materialize(ed: Edition, capfd) -> tuple[int, str, str]:
    code = main(
        [
            "materialize",
            "--edition",
            EDITION,
            "--source",
            "api",
            "--registry",
            str(ed.registry),
            "--editions",
            str(ed.editions),
        ]
    )
    out, err = capfd.readouterr()
    return code, out, err


def snapshots(home: Path) -> dict[str, dict[str, int]]:
    """platform -> post_id -> clean snapshots of it, for posts published inside the window."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute(
            """SELECT platform, post_id, count(*) FROM clean.post_snapshots
               WHERE published_at >= TIMESTAMP '2025-03-01' AND published_at < TIMESTAMP '2025-04-01'
               GROUP BY ALL"""
        ).fetchall()  # published_at is WIB wall time
    out: dict[str, dict[str, int]] = {}
    for platform, post_id, n in rows:
        out.setdefault(platform, {})[post_id] = n
    return out


def ranking_rows(home: Path) -> int:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        from gsm_platform import rankings

        return len(rankings.ranking_rows(conn, EDITION))


def grep_home(home: Path, secrets: list[str]) -> list[str]:
    found = []
    needles = [s.encode() for s in secrets]
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.relative_to(home)}: {s.decode()}" for s in needles if s in data]
    return found


@pytest.fixture
def api_env(fake_api, gsm_home, tmp_path, monkeypatch):
    ed = Edition(fake_api, tmp_path)
    for name, value in ed.env().items():
        monkeypatch.setenv(name, value)
    return ed


def raw_posts(home: Path) -> dict[str, set[str]]:
    """platform -> account ids with landed, indexed posts envelopes (cleaned or not)."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT DISTINCT platform, account_id FROM raw.envelopes WHERE kind = 'posts'").fetchall()
    out: dict[str, set[str]] = {}
    for platform, account_id in rows:
        out.setdefault(platform, set()).add(account_id)
    return out


EXPIRED = "IGQVJexpiredToken-S3cr3t-0099"


def test_materialize_api_edition_end_to_end(api_env, gsm_home, capfd, monkeypatch):
    ed = api_env
    home = gsm_home
    fb, x, yt = ed.fakes["facebook"], ed.fakes["x"], ed.fakes["youtube"]
    outputs: list[str] = []

    # --- run 1: transient faults, a deleted page, YouTube out of quota, an expired IG token ---
    flaky_page, throttled_user = ed.ids["facebook"][2], ed.ids["x"][3]
    fb.server.fail(f"/v21.0/{flaky_page}/posts", status=500, body={"error": {"message": "boom", "code": 2}})
    x.server.fail(
        f"/2/users/{throttled_user}/tweets",
        status=429,
        body={"title": "Too Many Requests"},
        headers={"retry-after": "1"},
    )
    yt.server.fail(
        "/youtube/v3/",
        status=403,
        after=9,
        times=-1,
        body=FakeYouTube.error(
            403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."
        ),
    )
    monkeypatch.setenv("GSM_INSTAGRAM_TOKEN", EXPIRED)
    code, out, err = materialize(ed, capfd)
    outputs += [out, err]
    assert code == 2, out[-3000:] + err[-3000:]
    message = err[err.rindex("gsm materialize:") :]  # what the operator reads last
    assert "instagram" in message and "GSM_INSTAGRAM_TOKEN" in message, message  # names platform and variable
    assert "quota exceeded" in out and "resume after" in out, out  # youtube stopped cleanly, says when to resume
    assert f"skipped {ed.deleted_page}" in out, out  # the deleted page: skipped and reported
    assert len(fb.server.hits(f"/{flaky_page}/posts")) >= 2  # 5xx, then the retry
    assert len(x.server.hits(f"/{throttled_user}/tweets")) >= 2  # 429, then after the wait
    landed = raw_posts(home)  # landed and indexed although the run failed
    edition_ids = {p: set(ids[:-1]) for p, ids in ed.ids.items()}  # the last institution is bumn
    assert landed["facebook"] == edition_ids["facebook"] - {ed.deleted_page}
    assert landed["x"] == edition_ids["x"] and landed["tiktok"] == edition_ids["tiktok"]
    assert landed.get("youtube", set()) < edition_ids["youtube"] and "instagram" not in landed
    # the bumn institution (its cluster is not in the edition) is never requested
    assert not any(ed.ids["facebook"][-1] in r.path for r in fb.server.requests)
    assert not any(ed.ids["x"][-1] in r.path for r in x.server.requests)

    # --- run 2: token renewed, quota back: only what is missing is pulled; rankings out -------
    yt.server.clear_faults()
    monkeypatch.setenv("GSM_INSTAGRAM_TOKEN", ed.fakes["instagram"].TOKEN)
    before = ed.requests()
    code, out, err = materialize(ed, capfd)
    outputs += [out, err]
    assert code == 0, out[-3000:] + err[-3000:]
    posts_requests = ed.posts_requests(before)
    assert posts_requests["facebook"] == posts_requests["x"] == posts_requests["tiktok"] == 0  # closed window, landed
    assert posts_requests["instagram"] > 0 and posts_requests["youtube"] > 0
    assert ranking_rows(home) > 0
    snaps = snapshots(home)
    for platform in ed.fakes:  # every post of the window, exactly once: pulled once, one snapshot
        assert set(snaps.get(platform, {})) == ed.served[platform], platform
        assert set(snaps[platform].values()) == {1}, (platform, snaps[platform])

    # --- no credential anywhere: GSM_HOME (warehouse, landing, Dagster sqlite, logs) and output -
    secrets = ed.secrets() + [EXPIRED]
    assert grep_home(home, secrets) == []
    assert not [s for s in secrets for text in outputs if s in text]
    assert any((home / "landing" / "api").rglob("*.jsonl")) and any((home / "dagster").rglob("*.db"))


def test_dead_endpoints_are_said_in_one_line_per_platform(api_env, gsm_home, capfd, monkeypatch):
    """Every platform's base URL points where nothing listens: the run stops at the pull with
    one line per platform and says why, instead of ~1,000 lines of network errors and an empty
    ranking that blamed the registry."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    for platform in api_env.fakes:
        monkeypatch.setenv(f"GSM_{platform.upper()}_BASE_URL", dead)
    monkeypatch.setenv("GSM_API_MAX_RETRIES", "1")
    code, out, err = materialize(api_env, capfd)
    assert code == 2
    said = [line for line in out.splitlines() if "cannot be reached" in line]
    assert len(said) == 5 and all(f"{dead} cannot be reached" in line for line in said), out
    assert {line.split(":")[0].strip() for line in said} == set(api_env.fakes)
    message = err[err.rindex("gsm materialize:") :]  # what the operator reads last
    assert "no platform's API could be reached, nothing new landed" in message and "registry" not in message, message
    assert "Traceback" not in out + message and len(out.splitlines()) < 15
