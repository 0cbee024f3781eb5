"""Landing: envelopes indexed with their file and line, whatever the batching."""

import gzip
import json
import shutil

import pytest

from gsm_platform import envelopes, landing, warehouse
from tests.support import FIXTURES_SAMPLES


def _index(tmp_path, name, inp):
    home = tmp_path / name
    conn = warehouse.connect(home / "warehouse.duckdb")
    count = landing.land_directory(conn, inp, home, "files").envelopes
    rows = conn.execute("SELECT * FROM raw.envelopes ORDER BY source_file, source_line").fetchall()
    conn.close()
    return count, [(r[0].split("/", 2)[2], *r[1:]) for r in rows]  # path below landing/files/


def test_batches_read_ahead_change_nothing(tmp_path, monkeypatch):
    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    envelope = json.loads((FIXTURES_SAMPLES / "x_posts.json").read_text())
    with gzip.open(inp / "more.jsonl.gz", "wt") as f:
        f.write(json.dumps(envelope) + "\n\n" + "{not json\n" + json.dumps(envelope) + "\n")
    one_batch = _index(tmp_path, "one", inp)
    monkeypatch.setattr(envelopes, "BATCH_BYTES", 1)  # a batch per line, read ahead by the thread
    many = _index(tmp_path, "many", inp)
    assert many == one_batch
    lines = [(r[1], r[2]) for r in one_batch[1] if r[0] == "more.jsonl.gz"]
    assert lines == [(1, "x"), (3, None), (4, "x")]  # blank line 2 skipped, line numbers kept


def test_a_read_error_reaches_the_caller_and_an_early_stop_does_not_hang():
    def failing():
        yield 1
        raise OSError("truncated gzip")

    with pytest.raises(OSError, match="truncated gzip"):
        list(envelopes.prefetched(failing()))
    endless = envelopes.prefetched(iter(range(10**9)))
    assert next(endless) == 0
    endless.close()  # the reader thread stops instead of waiting forever on a full queue


def test_cleaning_marks_what_it_read_even_a_file_without_any_post(gsm_home, tmp_path):
    """A landed file whose pages hold no post yields no cleaned row; it must still count as
    cleaned, or every `gsm update` would re-clean its month (and rebuild the editions that
    month reaches)."""
    import datetime as dt

    import yaml

    from gsm_platform.runs.months import uncleaned_months
    from tests.dbt_support import ig_post, ig_posts
    from tests.support import build_clean, sample_editions, sample_registry, write_jsonl

    registry, editions = sample_registry(tmp_path / "registry.yaml"), sample_editions(tmp_path / "editions.yaml")
    account = next(
        a["account_id"]
        for i in yaml.safe_load(registry.read_text())["institutions"]
        for a in i["accounts"]
        if a["platform"] == "instagram"
    )
    write_jsonl(
        tmp_path / "input" / "posts.jsonl",
        [ig_posts(account, "2025-03-02T09:00:00+07:00", [ig_post("p1", "2025-03-01T09:00:00+07:00", 5)])],
    )
    write_jsonl(tmp_path / "input" / "empty.jsonl", [ig_posts(account, "2025-04-03T09:00:00+07:00", [])])
    conn, _ = build_clean(gsm_home, tmp_path / "input", registry, editions, months=[dt.date(2025, 3, 1)])
    conn.close()
    assert uncleaned_months() == ["2025-04-01"]  # outside the months cleaned
    conn, _ = build_clean(gsm_home, tmp_path / "input", registry, editions)
    assert conn.execute("SELECT source_file, fetch_date FROM clean.cleaned_files ORDER BY 1").fetchall() == [
        ("landing/files/empty.jsonl", dt.date(2025, 4, 3)),
        ("landing/files/posts.jsonl", dt.date(2025, 3, 2)),
    ]
    conn.close()
    assert uncleaned_months() == []


@pytest.mark.parametrize("whole_read", [64 << 20, 100])  # read whole (the usual case), or streamed
def test_each_file_is_read_once_and_a_file_landed_before_is_not_written(tmp_path, monkeypatch, whole_read):
    """Landing hashes while it copies: one read of each new file; a file landed before costs one
    read and no write (when it fits WHOLE_READ; a bigger one is copied and its copy removed)."""
    import os

    monkeypatch.setattr(landing, "WHOLE_READ", whole_read)
    monkeypatch.setattr(landing, "COPY_CHUNK", 64)  # several chunks per file
    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    home = tmp_path / "home"
    reads: dict[str, int] = {}
    real_open = os.open

    def counting_open(path, flags, *args, **kwargs):
        if str(path).startswith(str(inp)):
            reads[str(path)] = reads.get(str(path), 0) + 1
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(landing.os, "open", counting_open)
    conn = warehouse.connect(home / "warehouse.duckdb")
    first = landing.land_directory(conn, inp, home, "files")
    assert first.files and set(reads.values()) == {1}  # one read per file
    landed = {f.path: f.sha256 for f in first.files}
    for path, sha in landed.items():
        assert landing.file_sha256(home / path) == sha  # the hash is that of the landed bytes
    before = sorted(p.relative_to(home) for p in (home / "landing").rglob("*"))
    reads.clear()
    again = landing.land_directory(conn, inp, home, "files")
    conn.close()
    assert again.files == [] and set(reads.values()) == {1}
    assert sorted(p.relative_to(home) for p in (home / "landing").rglob("*")) == before  # no .part left


@pytest.mark.parametrize("syncfs", [True, False])
def test_every_copy_is_on_disk_before_the_transaction_that_records_it(tmp_path, monkeypatch, syncfs):
    """One syncfs per batch (or, without it, an fsync per file), always before the files' rows
    are committed: a copy recorded as landed is never one the disk has not got."""
    import os

    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    home = tmp_path / "home"
    synced: list[str] = []
    calls = {"syncfs": 0, "fsync": 0}
    real_syncfs, real_fsync = landing.SYNCFS, os.fsync

    def counting_syncfs(fd):
        calls["syncfs"] += 1
        return real_syncfs(fd) if real_syncfs else 0

    def counting_fsync(fd):
        calls["fsync"] += 1
        return real_fsync(fd)

    monkeypatch.setattr(landing, "SYNCFS", counting_syncfs if syncfs else None)
    monkeypatch.setattr(landing.os, "fsync", counting_fsync)
    real_durable, real_index = landing.make_durable, landing._index_and_record

    def durable(home_, files, *watch):
        real_durable(home_, files, *watch)
        synced.extend(f.path for f in files)

    def index(conn, home_, files, source, report):
        assert {f.path for f in files} <= set(synced)  # on disk before they are recorded
        return real_index(conn, home_, files, source, report)

    monkeypatch.setattr(landing, "make_durable", durable)
    monkeypatch.setattr(landing, "_index_and_record", index)
    monkeypatch.setattr(landing, "COPY_CHUNK", 64)
    conn = warehouse.connect(home / "warehouse.duckdb")
    report = landing.land_directory(conn, inp, home, "files")
    conn.close()
    assert report.files and sorted(synced) == sorted(f.path for f in report.files)
    assert calls == ({"syncfs": 1, "fsync": 0} if syncfs else {"syncfs": 0, "fsync": len(report.files)})


def test_a_write_back_error_reported_by_syncfs_fails_the_landing_and_records_nothing(tmp_path, monkeypatch):
    """An I/O error while the copies reach the disk is no silent success: the landing fails
    before its transaction, and the next landing lands every file (the copies are orphans)."""
    import ctypes
    import errno

    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    home = tmp_path / "home"

    def failing(fd):
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(landing, "SYNCFS", failing)
    conn = warehouse.connect(home / "warehouse.duckdb")
    with pytest.raises(OSError) as error:
        landing.land_directory(conn, inp, home, "files")
    assert error.value.errno == errno.EIO
    assert conn.execute("SELECT count(*) FROM clean.landed_files").fetchone() == (0,)
    monkeypatch.undo()
    again = landing.land_directory(conn, inp, home, "files")
    conn.close()
    assert again.files and again.removed  # the unrecorded copies removed by recover, then landed again
