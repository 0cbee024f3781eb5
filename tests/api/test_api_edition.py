"""pull_edition: which accounts an edition pulls, platforms without credentials, rejected
tokens, and the uncleaned fetch days `gsm materialize --source api` adds to its clean run."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from gsm_platform.registry import Edition, Registry
from gsm_platform.sources.api import ApiCredentialError, PullReport
from gsm_platform.sources.api.edition import NoCredentials, edition_accounts, pull_edition

REGISTRY = Registry.model_validate(
    {
        "institutions": [
            {
                "id": "a",
                "name": "A",
                "cluster": "kementerian",
                "accounts": [
                    {"platform": "x", "account_id": "1"},
                    {"platform": "youtube", "account_id": "UC1"},
                    {"platform": "tiktok", "account_id": "a_tt"},
                ],
            },
            {"id": "b", "name": "B", "cluster": "bumn", "accounts": [{"platform": "x", "account_id": "2"}]},
            {
                "id": "c",
                "name": "C",
                "cluster": "lembaga",
                "accounts": [{"platform": "x", "account_id": "3"}, {"platform": "facebook", "account_id": "99"}],
            },
        ]
    }
)
EDITION = Edition(
    id="e",
    start=dt.date(2025, 3, 1),
    end=dt.date(2025, 4, 1),
    clusters=("kementerian", "lembaga"),
    platforms=("x", "youtube", "instagram"),
)
ENV = {"GSM_X_TOKEN": "t-x-123456", "GSM_YOUTUBE_KEY": "k-yt-123456"}


class Recorder:
    def __init__(self, fail: dict[str, Exception] | None = None):
        self.calls: dict[str, tuple] = {}
        self.threads: set[str] = set()
        self.fail = fail or {}

    def __call__(self, platform, accounts, start, end, out_dir, progress=None):
        self.calls[platform] = ([a.account_id for a in accounts], start, end)
        self.threads.add(threading.current_thread().name)
        progress(f"{platform}: 1/1 accounts")
        if platform in self.fail:
            raise self.fail[platform]
        return PullReport(
            platform, start, end, accounts_total=len(accounts), accounts_done=[a.account_id for a in accounts]
        )


def test_edition_accounts_are_the_editions_clusters_on_its_platforms():
    got = {p: [a.account_id for a in accs] for p, accs in edition_accounts(REGISTRY, EDITION).items()}
    assert got == {"x": ["1", "3"], "youtube": ["UC1"], "instagram": []}  # no bumn, no facebook/tiktok


def test_pull_edition_pulls_the_edition_window_and_logs_on_the_calling_thread(tmp_path):
    puller, messages, where = Recorder(), [], set()
    result = pull_edition(
        REGISTRY,
        EDITION,
        tmp_path,
        puller,
        progress=lambda m: (messages.append(m), where.add(threading.current_thread().name)),
        env=ENV,
    )
    assert puller.calls == {
        "x": (["1", "3"], EDITION.start, EDITION.end),
        "youtube": (["UC1"], EDITION.start, EDITION.end),
    }
    assert sorted(messages) == ["x: 1/1 accounts", "youtube: 1/1 accounts"]
    assert where == {threading.current_thread().name} and all(t.startswith("gsm-edition") for t in puller.threads)
    assert set(result.reports) == {"x", "youtube"} and result.no_accounts == ["instagram"] and not result.warnings()


def test_platform_without_credentials_is_skipped_with_a_warning(tmp_path):
    result = pull_edition(REGISTRY, EDITION, tmp_path, Recorder(), env={"GSM_X_TOKEN": "t-x-123456"})
    assert set(result.reports) == {"x"} and result.missing_credentials == {"youtube": "GSM_YOUTUBE_KEY"}
    assert any("youtube" in w and "GSM_YOUTUBE_KEY is not set" in w for w in result.warnings())


def test_no_credentials_at_all_fails_naming_the_variables(tmp_path):
    with pytest.raises(NoCredentials, match=r"GSM_X_TOKEN.*GSM_YOUTUBE_KEY|x: GSM_X_TOKEN"):
        pull_edition(REGISTRY, EDITION, tmp_path, Recorder(), env={})


def test_a_rejected_token_keeps_the_other_platforms_and_what_landed(tmp_path):
    exc = ApiCredentialError("youtube", "GSM_YOUTUBE_KEY", "the API key was rejected")
    exc.report = PullReport("youtube", EDITION.start, EDITION.end, files=[tmp_path / "landed.jsonl"])
    result = pull_edition(REGISTRY, EDITION, tmp_path, Recorder(fail={"youtube": exc}), env=ENV)
    assert set(result.credential_errors) == {"youtube"} and set(result.reports) == {"x", "youtube"}
    assert result.files == [tmp_path / "landed.jsonl"]


def test_uncleaned_months_cover_envelopes_no_clean_table_read(gsm_home):
    import dagster as dg

    from gsm_platform.runs.months import months_to_clean, today_wib, uncleaned_months
    from gsm_platform.warehouse import connect

    with connect() as conn:
        conn.execute("""INSERT INTO raw.envelopes VALUES
            ('landing/api/x/1/posts-a.jsonl', 1, 'x', 'posts', '1', TIMESTAMP '2025-03-02 10:00', DATE '2025-03-02',
             '{}'),
            ('landing/api/x/1/posts-b.jsonl', 1, 'x', 'posts', '1', TIMESTAMP '2025-04-05 10:00', DATE '2025-04-05',
             '{}'),
            ('landing/api/x/1/profile-c.jsonl', 1, 'x', 'profile', '1', TIMESTAMP '2025-05-06 10:00',
             DATE '2025-05-06', '{}')""")
        conn.execute("""INSERT INTO clean.follower_snapshots
            (platform, account_id, fetched_at, fetch_date, followers, origin, source_file, source_line,
             source_position) VALUES
            ('x', '1', TIMESTAMP '2025-05-06 10:00', DATE '2025-05-06', 10, 'profile',
             'landing/api/x/1/profile-c.jsonl', 1, 0)""")
    assert uncleaned_months() == ["2025-03-01", "2025-04-01"]
    assert uncleaned_months(after=dt.date(2025, 3, 2)) == ["2025-04-01"]
    with dg.instance_for_test() as instance:
        today = f"{today_wib():%Y-%m}-01"
        # the api source cleans today's month (the pull) and the months landed but never cleaned
        assert months_to_clean("api", instance) == sorted({"2025-03-01", "2025-04-01", today})
