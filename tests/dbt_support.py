"""Build a warehouse from envelopes (or a generated source) and run the real dbt project on it.

    wh = build_warehouse(tmp, registry_yaml, editions_yaml, envelopes, editions=["2025"])
    wh.marts("rankings", "2025")  -> DataFrame

Envelopes are Python dicts in the platforms' own body shapes (see tests/fixtures/samples);
the small builders below make the ones the metric tests need. dbt runs as a subprocess with
GSM_WAREHOUSE set and its target/log paths under the test's tmp dir, so parallel runs never
share dbt state.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from tests.support import build_clean, write_jsonl

ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT = ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


# --------------------------------------------------------------------------- envelopes


def envelope(platform: str, kind: str, account_id: str, fetched_at: str, response: dict) -> dict:
    return {
        "platform": platform,
        "kind": kind,
        "account_id": account_id,
        "fetched_at": fetched_at,
        "request": {"endpoint": f"/test/{platform}/{kind}", "params": {}},
        "response": response,
    }


def ig_post(post_id: str, timestamp: str, likes: int, comments: int = 0, media_type: str = "IMAGE") -> dict:
    """One Instagram media item; likes=0 is what the API returns when the owner hid likes."""
    return {
        "id": post_id,
        "timestamp": timestamp,
        "media_type": media_type,
        "media_product_type": "FEED",
        "like_count": likes,
        "comments_count": comments,
        "caption": "t",
    }


def ig_posts(account_id: str, fetched_at: str, media: list[dict]) -> dict:
    return envelope("instagram", "posts", account_id, fetched_at, {"data": media, "paging": {}})


def ig_profile(account_id: str, fetched_at: str, followers: int) -> dict:
    return envelope(
        "instagram",
        "profile",
        account_id,
        fetched_at,
        {"id": account_id, "username": account_id, "followers_count": followers},
    )


def yt_video(
    video_id: str, published: str, views: int, likes: int | None, comments: int = 0, channel: str = "UC"
) -> dict:
    """One YouTube video; likes=None leaves likeCount out (hidden likes). Counts are strings."""
    stats = {"viewCount": str(views), "favoriteCount": "0", "commentCount": str(comments)}
    if likes is not None:
        stats["likeCount"] = str(likes)
    return {
        "kind": "youtube#video",
        "id": video_id,
        "snippet": {"publishedAt": published, "channelId": channel, "title": "t"},
        "statistics": stats,
        "contentDetails": {"duration": "PT1M"},
    }


def yt_videos(channel_id: str, fetched_at: str, items: list[dict]) -> dict:
    return envelope(
        "youtube",
        "posts",
        channel_id,
        fetched_at,
        {
            "kind": "youtube#videoListResponse",
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
        },
    )


def yt_profile(channel_id: str, fetched_at: str, subscribers: int) -> dict:
    return envelope(
        "youtube",
        "profile",
        channel_id,
        fetched_at,
        {
            "kind": "youtube#channelListResponse",
            "items": [
                {
                    "kind": "youtube#channel",
                    "id": channel_id,
                    "statistics": {
                        "viewCount": "0",
                        "subscriberCount": str(subscribers),
                        "hiddenSubscriberCount": False,
                        "videoCount": "1",
                    },
                }
            ],
        },
    )


# --------------------------------------------------------------------------- dbt


def run_dbt_build(warehouse: Path, edition: str, work: Path, command: str = "build") -> float:
    """`dbt build` of the whole project (models and their data tests; command="run": models
    only) for one edition into `warehouse`; returns seconds. Target and logs live under `work`:
    nothing is written into dbt_project/, so parallel runs never collide (partial parsing would
    not help anyway: the profile's warehouse path differs per run, which makes dbt parse in full)."""
    target = work / "dbt_target"
    target.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GSM_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(DBT),
            command,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(work / "dbt_logs"),
            "--vars",
            f'{{"edition_id": "{edition}"}}',
        ],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"dbt {command} --vars edition_id={edition} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
        )
    return time.monotonic() - started


@dataclass
class Warehouse:
    path: Path
    work: Path
    editions: list[str] = field(default_factory=list)

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.path), read_only=True)

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self.connect() as conn:
            return conn.execute(sql, params or []).df()

    def marts(self, relation: str, edition: str) -> pd.DataFrame:
        return self.query(f"SELECT * FROM main.{relation} WHERE edition_id = ?", [edition])

    def build(self, edition: str, command: str = "build") -> float:
        seconds = run_dbt_build(self.path, edition, self.work, command)
        if edition not in self.editions:
            self.editions.append(edition)
        return seconds


def build_warehouse(
    base: Path, registry_yaml: str, editions_yaml: str, envelopes: list[dict], editions: list[str]
) -> Warehouse:
    """Land and parse `envelopes` (with tests/support.build_clean, no Dagster) into a fresh
    warehouse under `base`, then `dbt build` each of `editions` into it."""
    base.mkdir(parents=True, exist_ok=True)
    registry, editions_file = base / "registry.yaml", base / "editions.yaml"
    registry.write_text(registry_yaml)
    editions_file.write_text(editions_yaml)
    write_jsonl(base / "input" / "envelopes.jsonl", envelopes)
    return build_from_source(base / "home", base / "input", registry, editions_file, editions)


def build_from_source(
    home: Path, input_dir: Path, registry: Path, editions_file: Path, editions: list[str]
) -> Warehouse:
    home.mkdir(parents=True, exist_ok=True)
    conn, _recon = build_clean(home, input_dir, registry, editions_file)
    conn.close()
    wh = Warehouse(home / "warehouse.duckdb", home)
    for edition in editions:
        wh.build(edition)
    return wh


# --------------------------------------------------------------------------- oracle inputs


def oracle_inputs(wh: Warehouse, edition: str) -> tuple:
    """The clean and registry tables of `wh` in tests/oracle.compute's argument order."""
    from gsm_platform.methodology import load_methodology

    posts = wh.query("""SELECT platform, account_id, post_id, published_at, fetched_at, media_kind, likes, comments,
                               shares, quotes, interactions, interactions_hidden, views, source_file, source_line,
                               source_position FROM clean.post_snapshots""")
    followers = wh.query("SELECT platform, account_id, fetched_at, followers FROM clean.follower_snapshots")
    institutions = wh.query("SELECT institution_id, name, cluster FROM registry.institutions")
    accounts = wh.query("SELECT institution_id, platform, account_id, handle, role FROM registry.accounts")
    ed = wh.query("SELECT * FROM registry.editions WHERE edition_id = ?", [edition]).iloc[0]
    clusters = wh.query(
        "SELECT cluster FROM registry.edition_clusters WHERE edition_id = ? ORDER BY cluster", [edition]
    ).cluster.tolist()
    platforms = wh.query(
        "SELECT platform FROM registry.edition_platforms WHERE edition_id = ? ORDER BY platform", [edition]
    ).platform.tolist()
    edition_dict = {
        "edition_id": edition,
        "start_date": ed.start_date,
        "end_date": ed.end_date,
        "clusters": clusters,
        "platforms": platforms,
        "methodology_version": ed.methodology_version,
    }
    params = load_methodology().get(ed.methodology_version).model_dump()
    return posts, followers, institutions, accounts, edition_dict, params
