"""Behaviour shared by every platform: credentials, secrecy, retries, isolation, re-runs,
file safety, progress, the Dagster resource, and that the project's parsers read what lands."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from gsm_platform.registry import Account
from gsm_platform.sources.api import PLATFORM_ENV, ApiCredentialError, PullReport, pull_platform
from tests.api.fakes import END, FETCHED_AT, START, WIB, read_envelopes, wib

ENVELOPE_KEYS = {"platform", "kind", "account_id", "fetched_at", "request", "response"}


def fill(fake, n: int = 1) -> list[Account]:
    """n accounts with posts in the window, for any fake."""
    p = fake.platform
    accounts = []
    for i in range(n):
        times = [wib(2, 20), wib(2, 10), wib(1, 12), wib(1, 1), wib(20, 1, month=2)]
        if p == "youtube":
            accounts.append(fake.add(f"UC{'a' * 21}{i}", [(f"v{i}{k}", t) for k, t in enumerate(times)]))
        elif p == "x":
            accounts.append(fake.add(f"10{i}", [(f"{i}{k}", t) for k, t in enumerate(times)]))
        elif p == "facebook":
            accounts.append(fake.add(f"1000645{i:08d}", [(f"{k}", t) for k, t in enumerate(times)]))
        elif p == "instagram":
            accounts.append(fake.add(f"178414{i:011d}", f"akun{i}", [(f"m{i}{k}", t) for k, t in enumerate(times)]))
        else:
            accounts.append(fake.add(f"akun{i}", [(7340000000000000000 + 10 * i + k, t) for k, t in enumerate(times)]))
    return accounts


def post_count(report: PullReport) -> int:
    total = 0
    for path in report.files:
        for env in read_envelopes(path):
            if env["kind"] != "posts":
                continue
            body = env["response"]
            items = (
                body.get("items")
                or body.get("data")
                or (body.get("business_discovery") or {}).get("media", {}).get("data")
            )
            if isinstance(items, dict):
                items = items.get("videos")
            total += len(items or [])
    return total


EXPECTED_POSTS = {"youtube": 4, "x": 4, "facebook": 4, "instagram": 4, "tiktok": 4}


@pytest.mark.parametrize("platform", sorted(PLATFORM_ENV))
def test_missing_credential_names_platform_and_variable(platform, tmp_path):
    acc = Account(platform=platform, account_id="1", handle="h")
    for variable in PLATFORM_ENV[platform]:
        env = {v: "x-value-1234" for v in PLATFORM_ENV[platform] if v != variable}
        with pytest.raises(ApiCredentialError) as info:
            pull_platform(platform, [acc], START, END, tmp_path, env=env)
        assert str(info.value).startswith(f"{platform}:") and variable in str(info.value)
        assert info.value.variable == variable
    assert not any(tmp_path.iterdir())  # nothing was attempted


@pytest.mark.parametrize("platform", sorted(PLATFORM_ENV))
def test_every_platform_pulls_profile_and_posts_in_envelopes(platform, fake_api, run_pull):
    fake = fake_api(platform)
    accounts = fill(fake, 2)
    res = run_pull(fake, accounts)
    r = res.report
    assert r.ok and sorted(r.accounts_done) == sorted(a.account_id for a in accounts)
    assert post_count(r) == 2 * EXPECTED_POSTS[platform]
    for path in r.files:
        rel = path.relative_to(res.out)
        assert rel.parts[0] == platform and rel.parts[1] in {a.account_id for a in accounts}
        assert rel.name.startswith(("posts-2025-03-01_2025-03-03", "profile-20250305T090000")) and rel.name.endswith(
            ".jsonl"
        )
        for env in read_envelopes(path):
            assert set(env) == ENVELOPE_KEYS
            assert env["platform"] == platform and env["account_id"] == rel.parts[1]
            assert env["fetched_at"] == "2025-03-05T09:00:00+07:00"
            assert set(env["request"]) <= {"endpoint", "params", "body"} and env["request"]["endpoint"].startswith("/")
            assert all(isinstance(v, str) for v in env["request"]["params"].values())
    kinds = sorted(read_envelopes(p)[0]["kind"] for p in r.files)
    assert kinds.count("profile") == 2
    assert not list(res.out.rglob("*.part"))  # no temp file left behind


def test_no_credential_lands_anywhere(fake_api, run_pull, caplog, tmp_path):
    """Every platform, with faults on the way; grep every written file and every message."""
    caplog.set_level(logging.DEBUG)
    seen_text: list[str] = []
    secrets: list[str] = []
    for platform in sorted(PLATFORM_ENV):
        fake = fake_api(platform)
        secrets += [v for k, v in fake.env.items() if k.endswith(("TOKEN", "KEY"))]
        accounts = fill(fake, 2)
        fake.server.fail("/", status=503, body={"error": {"message": "busy"}}, after=1, times=1)
        res = run_pull(fake, accounts, out_dir=tmp_path / "out")
        seen_text += res.messages + [res.report.summary()]
        # and a rejected credential: the exception, its report and the messages
        wrong = {k: (v + "-WRONG" if k.endswith(("TOKEN", "KEY")) else v) for k, v in fake.env.items()}
        secrets += [v for k, v in wrong.items() if k.endswith(("TOKEN", "KEY"))]
        with pytest.raises(ApiCredentialError) as info:
            run_pull(fake, accounts, env=wrong, out_dir=tmp_path / "out2")
        seen_text += [str(info.value), repr(info.value), info.value.report.summary()]
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in written) and any(p.suffix == ".done" for p in written)
    blobs = [p.read_text(encoding="utf-8", errors="replace") for p in written] + seen_text + [caplog.text]
    for secret in secrets:
        for blob in blobs:
            assert secret not in blob


def test_5xx_retries_with_exponential_backoff(fake_api, run_pull):
    fake = fake_api("x")
    accounts = fill(fake, 1)
    fake.server.fail("/tweets", status=503, body={"title": "Service Unavailable"}, times=3)
    res = run_pull(fake, accounts)
    assert res.report.ok and res.sleeps == [1.0, 2.0, 4.0]
    assert post_count(res.report) == 4


def test_backoff_is_capped_and_bounded_then_only_that_account_fails(fake_api, run_pull):
    fake = fake_api("facebook")
    good, bad = fill(fake, 2)
    fake.server.fail(f"/{bad.account_id}/posts", status=500, body={"error": {"message": "oops", "code": 1}}, times=-1)
    res = run_pull(fake, [good, bad], max_retries=4, concurrency=2)
    r = res.report
    assert r.accounts_done == [good.account_id]
    assert "gave up after 5 attempts" in r.accounts_failed[bad.account_id]
    assert sorted(res.sleeps) == [1.0, 2.0, 4.0, 8.0]
    # the good account's files are complete and on disk
    good_dir = res.out / "facebook" / good.account_id
    assert (good_dir / "posts-2025-03-01_2025-03-03.done").is_file()
    assert any(p.name.startswith("posts-") for p in good_dir.glob("*.jsonl"))
    assert not (res.out / "facebook" / bad.account_id / "posts-2025-03-01_2025-03-03.done").exists()
    assert any(f"account {bad.account_id} failed" in m for m in res.messages)


def test_timeouts_are_retried(fake_api, run_pull):
    fake = fake_api("youtube")
    accounts = fill(fake, 1)
    fake.server.fail("/videos", status=0, delay=0.6, times=1)  # slower than the client's timeout, once
    res = run_pull(fake, accounts, timeout_seconds=0.25)
    assert res.report.ok and res.sleeps == [1.0]
    assert post_count(res.report) == 4


def test_rerun_of_a_closed_window_pulls_only_profiles(fake_api, run_pull):
    fake = fake_api("tiktok")
    accounts = fill(fake, 2)
    first = run_pull(fake, accounts).report
    before = len(fake.server.hits("/video/query/"))
    second = run_pull(fake, accounts, fetched_at=FETCHED_AT + dt.timedelta(hours=1)).report
    assert len(fake.server.hits("/video/query/")) == before  # no posts pulled again
    assert sorted(second.accounts_up_to_date) == sorted(a.account_id for a in accounts)
    assert second.ok and sorted(second.accounts_done) == sorted(first.accounts_done)
    assert all(p.name.startswith("profile-20250305T100000") for p in second.files)
    assert all(p.exists() for p in first.files)


def test_open_window_is_pulled_again_without_overwriting(fake_api, run_pull):
    fake = fake_api("x")
    accounts = fill(fake, 1)
    during = dt.datetime(2025, 3, 2, 12, 0, tzinfo=WIB)  # END has not come yet: window open
    first = run_pull(fake, accounts, fetched_at=during).report
    content = {p: p.read_bytes() for p in first.files}
    second = run_pull(fake, accounts, fetched_at=during).report  # same stamp on purpose
    assert not second.accounts_up_to_date and second.envelopes == first.envelopes
    assert not set(second.files) & set(first.files)
    assert all(p.read_bytes() == data for p, data in content.items())
    names = sorted(p.name for p in second.files)
    assert names == ["posts-2025-03-01_2025-03-03.20250302T120000.jsonl", "profile-20250302T120000-2.jsonl"]


def test_rerun_after_a_failure_pulls_only_what_did_not_land(fake_api, run_pull):
    fake = fake_api("youtube")
    a, b, c = fill(fake, 3)
    fake.server.fail(
        "/playlistItems", status=500, times=-1, when=lambda r: r.query.get("playlistId") == "UU" + b.account_id[2:]
    )
    first = run_pull(fake, [a, b, c], max_retries=1).report
    assert sorted(first.accounts_done) == sorted([a.account_id, c.account_id]) and list(first.accounts_failed) == [
        b.account_id
    ]
    fake.server.clear_faults()
    mark = len(fake.server.requests)
    second = run_pull(fake, [a, b, c], fetched_at=FETCHED_AT + dt.timedelta(days=1)).report
    assert second.ok
    again = fake.server.requests[mark:]
    playlists = {r.query["playlistId"] for r in again if r.path.endswith("/playlistItems")}
    assert playlists == {"UU" + b.account_id[2:]}  # a and c were not pulled again
    assert sorted(second.accounts_up_to_date) == sorted([a.account_id, c.account_id])


def test_a_crash_leaves_no_half_file_and_never_overwrites(tmp_path):
    from gsm_platform.sources.api.store import AccountStore

    store = AccountStore(tmp_path, "x", "123", "2025-03-01_2025-03-03", "20250305T090000")
    existing = store.directory / "posts-2025-03-01_2025-03-03.jsonl"
    existing.parent.mkdir(parents=True)
    existing.write_text("old\n")
    out = store.posts_file()
    out.add({"a": 1})
    assert [p.name for p in store.directory.glob("*.jsonl")] == [existing.name]  # in progress: only the hidden .part
    assert len(list(store.directory.glob(".*.part"))) == 1
    path = out.close()
    assert path.name == "posts-2025-03-01_2025-03-03.20250305T090000.jsonl" and existing.read_text() == "old\n"
    assert not list(store.directory.glob(".*.part"))
    empty = store.posts_file()
    assert empty.close() is None  # nothing written: no file


def test_progress_reports_accounts_and_pages_under_concurrency(fake_api, run_pull):
    fake = fake_api("instagram")
    accounts = fill(fake, 6)
    res = run_pull(fake, accounts, concurrency=3)
    counts = [m for m in res.messages if m.startswith("instagram: ") and "/6 accounts, " in m]
    assert len(counts) == 6 and counts[-1].startswith("instagram: 6/6 accounts, ")
    assert counts[-1].endswith(f"{res.report.pages} pages")
    assert res.report.ok and len(res.report.accounts_done) == 6


def test_wrong_platform_account_and_bad_window_are_rejected(tmp_path):
    env = {"GSM_X_TOKEN": "t-123456"}
    with pytest.raises(ValueError, match="not x"):
        pull_platform("x", [Account(platform="youtube", account_id="UC1")], START, END, tmp_path, env=env)
    with pytest.raises(ValueError, match="must be after"):
        pull_platform("x", [], END, START, tmp_path, env=env)
    with pytest.raises(ValueError, match="unknown platform"):
        pull_platform("myspace", [], START, END, tmp_path, env=env)


def test_dagster_resource_calls_pull_platform(fake_api, tmp_path, monkeypatch):
    from gsm_platform.resources import ApiSource

    fake = fake_api("facebook")
    accounts = fill(fake, 1)
    for k, v in fake.env.items():
        monkeypatch.setenv(k, v)
    resource = ApiSource(concurrency=2, timeout_seconds=5, max_retries=2)
    messages: list[str] = []
    report = resource.pull("facebook", accounts, START, END, tmp_path / "out", progress=messages.append)
    assert isinstance(report, PullReport) and report.ok and report.accounts_done == [accounts[0].account_id]
    assert messages and set(ApiSource.model_fields) == {"concurrency", "timeout_seconds", "max_retries"}


def test_landed_envelopes_parse_with_the_project_parsers(fake_api, run_pull, tmp_path):
    """What the api source lands is what the platform parsers read: nothing quarantined."""
    support = pytest.importorskip("tests.support")
    out = tmp_path / "out"
    registry_lines = [
        "institutions:",
        "  - id: contoh",
        "    name: Contoh",
        "    cluster: kementerian",
        "    accounts:",
    ]
    expected = 0
    for platform in sorted(PLATFORM_ENV):
        fake = fake_api(platform)
        accounts = fill(fake, 1)
        r = run_pull(fake, accounts, out_dir=out).report
        assert r.ok
        expected += post_count(r)
        registry_lines += [
            f'      - {{platform: {a.platform}, account_id: "{a.account_id}", handle: "{a.handle or ""}"}}'
            for a in accounts
        ]
    registry = tmp_path / "registry.yaml"
    registry.write_text("\n".join(registry_lines) + "\n")
    editions = support.sample_editions(tmp_path / "editions.yaml")
    home = tmp_path / "home"
    home.mkdir()
    conn, _ = support.build_clean(home, out, registry, editions)
    quarantined = conn.execute("SELECT reason FROM clean.quarantine").fetchall()
    assert quarantined == []
    posts = conn.execute("SELECT platform, count(*) FROM clean.post_snapshots GROUP BY 1 ORDER BY 1").fetchall()
    assert dict(posts) == {p: EXPECTED_POSTS[p] for p in PLATFORM_ENV}
    followers = conn.execute("SELECT DISTINCT platform FROM clean.follower_snapshots ORDER BY 1").fetchall()
    assert [f[0] for f in followers] == sorted(PLATFORM_ENV)
    assert sum(n for _, n in posts) == expected


def test_a_marker_written_while_the_window_was_open_does_not_close_it(fake_api, run_pull):
    fake = fake_api("x")
    accounts = fill(fake, 1)
    during = dt.datetime(2025, 3, 2, 12, 0, tzinfo=WIB)
    run_pull(fake, accounts, fetched_at=during)
    before = len(fake.server.hits("/tweets"))
    after = run_pull(fake, accounts).report  # FETCHED_AT: closed now, but the marker predates the close
    assert len(fake.server.hits("/tweets")) > before and not after.accounts_up_to_date
    third = run_pull(fake, accounts, fetched_at=FETCHED_AT + dt.timedelta(hours=2)).report
    assert third.accounts_up_to_date == [accounts[0].account_id]


def test_scrubber_removes_credentials_from_text_params_and_bodies():
    from gsm_platform.sources.api.http import Scrubber

    s = Scrubber(["s3cr3t-value-1"])
    text = s.text(
        "GET https://h/x?part=a&key=AIzaXYZ&access_token=EAAB123 Authorization: Bearer abcdef123 s3cr3t-value-1"
    )
    assert "AIzaXYZ" not in text and "EAAB123" not in text and "abcdef123" not in text and "s3cr3t-value-1" not in text
    assert "pagination_token=keepme" in s.text("pagination_token=keepme")
    assert s.params({"key": "k", "access_token": "t", "fields": "id", "x": "has s3cr3t-value-1"}) == {"fields": "id"}
    body = {"paging": {"next": "https://g/v21.0/1/posts?access_token=EAAB123&after=Q"}, "message": "monkey=banana"}
    assert s.body(body) == {
        "paging": {"next": "https://g/v21.0/1/posts?access_token=REDACTED&after=Q"},
        "message": "monkey=banana",
    }


def test_next_pacific_midnight_follows_daylight_saving():
    from gsm_platform.sources.api.http import next_pacific_midnight

    utc = dt.UTC
    assert next_pacific_midnight(dt.datetime(2025, 3, 9, 12, tzinfo=utc)).isoformat() == "2025-03-10T00:00:00-07:00"
    assert next_pacific_midnight(dt.datetime(2025, 1, 15, 7, 59, tzinfo=utc)).isoformat() == "2025-01-15T00:00:00-08:00"
    assert next_pacific_midnight(dt.datetime(2025, 1, 15, 8, 0, tzinfo=utc)).isoformat() == "2025-01-16T00:00:00-08:00"


def test_a_dead_endpoint_stops_the_platform_in_one_line(tmp_path):
    """Nothing listens at the base URL: the first request that fails on every attempt stops the
    platform with one line; the other accounts are not tried one by one (issue 14: 249 accounts
    gave ~1,000 lines of "network error", then advice to check the registry)."""
    import socket

    from gsm_platform.sources.api.pull import BASE_URL_ENV

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    accounts = [Account(platform="x", account_id=f"10{i}", handle=f"h{i}") for i in range(40)]
    messages: list[str] = []
    sleeps: list[float] = []
    env = {"GSM_X_TOKEN": "x-token-1234", BASE_URL_ENV["x"]: f"http://127.0.0.1:{port}"}
    report = pull_platform(
        "x",
        accounts,
        START,
        END,
        tmp_path,
        env=env,
        fetched_at=FETCHED_AT,
        sleep=sleeps.append,
        progress=messages.append,
        max_retries=3,
        concurrency=4,
    )
    assert report.unreachable and not report.accounts_failed and not report.files
    assert sorted(report.accounts_pending) == sorted(a.account_id for a in accounts)
    summary = report.summary()
    assert summary.count("\n") == 0 and "GSM_X_BASE_URL" in summary and "40 accounts not pulled" in summary
    assert f"http://127.0.0.1:{port} cannot be reached (ConnectError on each of 4 attempts)" in summary
    assert not any("failed" in m for m in messages) and len(sleeps) <= 4 * 3
