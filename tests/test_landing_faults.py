"""Landing under faults: a file counts as landed only with its envelopes; what a crash leaves
is put right by the next landing; symbolic links and oversized input are refused with a reason;
memory stays bounded whatever the input (issue 14 points 1 and 6)."""

import errno
import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gsm_platform import envelopes, landing, warehouse
from gsm_platform.envelopes import REFUSED_PREFIX, read_envelopes
from tests.support import SAMPLE_ACCOUNTS, build_clean, sample_editions, sample_registry, write_jsonl

X = SAMPLE_ACCOUNTS["x"]


def _page(i: int, fetched: str = "2025-03-02T09:02:00+07:00") -> str:
    return json.dumps(
        {
            "platform": "x",
            "kind": "posts",
            "account_id": X,
            "fetched_at": fetched,
            "response": {
                "data": [
                    {
                        "id": str(10**18 + i),
                        "created_at": "2025-03-01T02:00:00.000Z",
                        "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 0},
                    }
                ]
            },
        }
    )


@pytest.fixture
def source(tmp_path) -> Path:
    """Three files of 3, 2 and 4 envelopes."""
    inp = tmp_path / "input"
    write_jsonl(inp / "a.jsonl", [_page(i) for i in range(3)])
    write_jsonl(inp / "b" / "b.jsonl", [_page(i) for i in range(10, 12)])
    with gzip.open(inp / "c.jsonl.gz", "wt") as f:
        f.write("\n".join(_page(i) for i in range(20, 24)) + "\n")
    return inp


def _state(home: Path) -> tuple:
    conn = warehouse.connect(home / "warehouse.duckdb", read_only=True)
    try:
        files = conn.execute("SELECT path, sha256, bytes, envelopes FROM clean.landed_files ORDER BY path").fetchall()
        rows = conn.execute(
            "SELECT source_file, source_line, platform, text FROM raw.envelopes ORDER BY ALL"
        ).fetchall()
    finally:
        conn.close()
    under = sorted(p.relative_to(home).as_posix() for p in (home / "landing").rglob("*") if p.is_file())
    return files, rows, under


def _land(home: Path, inp: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    """Land in a child process (the fault kills it, as kill -9 would)."""
    code = textwrap.dedent(f"""
        from pathlib import Path
        from gsm_platform import landing, warehouse
        conn = warehouse.connect(Path({str(home)!r}) / "warehouse.duckdb")
        landing.land_directory(conn, Path({str(inp)!r}), Path({str(home)!r}), "files")
        conn.close()
    """)
    env = {**os.environ, "GSM_FAULT": fault or ""}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fault", ["landing.copy:2", "landing.index:1", "landing.copy:3"])
def test_a_killed_landing_leaves_nothing_half_done_and_the_next_one_finishes(tmp_path, source, fault):
    """landing.copy:n kills after the first chunk of the n-th file is written to its .part;
    landing.index:1 once the files are copied and indexed, before the commit."""
    clean = tmp_path / "clean"
    assert _land(clean, source).returncode == 0
    home = tmp_path / "home"
    killed = _land(home, source, fault)
    assert killed.returncode == -9, killed.stderr
    files, rows, _ = _state(home)
    assert {f[0] for f in files} == {r[0] for r in rows}  # no file recorded without its envelopes
    assert all(sum(1 for r in rows if r[0] == f[0]) == f[3] for f in files)
    assert _land(home, source).returncode == 0
    assert _state(home) == _state(clean)  # no .part, no orphan copy, every envelope once


def test_a_crash_of_the_old_landing_is_recovered(tmp_path, source):
    """Files recorded as landed but never indexed (what the old landing left after a kill
    between its two commits) are indexed by the next landing, not skipped by hash."""
    home = tmp_path / "home"
    assert _land(home, source).returncode == 0
    expected = _state(home)
    conn = warehouse.connect(home / "warehouse.duckdb")
    conn.execute("DELETE FROM raw.envelopes WHERE source_file LIKE '%a.jsonl' OR source_file LIKE '%c.jsonl.gz'")
    conn.execute("UPDATE clean.landed_files SET envelopes = NULL WHERE path LIKE '%c.jsonl.gz'")  # landed before counts
    conn.execute("DELETE FROM raw.envelopes WHERE source_file LIKE '%b.jsonl' AND source_line = 2")  # half indexed
    report = landing.land_directory(conn, source, home, "files")
    conn.close()
    assert sorted(report.reindexed) == ["landing/files/a.jsonl", "landing/files/b/b.jsonl", "landing/files/c.jsonl.gz"]
    files, rows, under = _state(home)
    assert rows == expected[1] and under == expected[2]
    assert [f[:3] for f in files] == [f[:3] for f in expected[0]]


def test_the_sha256_is_that_of_the_bytes_landed_even_if_the_file_changes_meanwhile(tmp_path, source, monkeypatch):
    """Hash and copy are one read: a file rewritten while it lands gets the hash of its copy."""
    original = landing._copy_hashing
    target = source / "a.jsonl"

    def changing(src, tmp, known):
        if src == target:
            target.write_text(_page(99) + "\n")  # changed after the files were listed, before the copy
        return original(src, tmp, known)

    monkeypatch.setattr(landing, "_copy_hashing", changing)
    home = tmp_path / "home"
    conn = warehouse.connect(home / "warehouse.duckdb")
    landing.land_directory(conn, source, home, "files")
    for path, sha in conn.execute("SELECT path, sha256 FROM clean.landed_files").fetchall():
        assert sha == landing.file_sha256(home / path)
    conn.close()


def test_a_symlink_out_of_the_input_directory_is_refused_with_its_reason(tmp_path, source):
    secret = tmp_path / "secret.jsonl"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    (source / "passwd.jsonl").symlink_to(secret)
    (source / "outside").symlink_to(tmp_path, target_is_directory=True)
    (source / "broken.jsonl").symlink_to(tmp_path / "nowhere")
    (source / "inside.jsonl").symlink_to(source / "a.jsonl")  # a link inside the input is read
    home = tmp_path / "home"
    conn = warehouse.connect(home / "warehouse.duckdb")
    report = landing.land_directory(conn, source, home, "files")
    landed_from = {Path(r[0]).name for r in conn.execute("SELECT original_path FROM clean.landed_files").fetchall()}
    conn.close()
    refused = dict(report.refused)
    assert set(refused) == {str(source / "passwd.jsonl"), str(source / "outside"), str(source / "broken.jsonl")}
    assert refused[str(source / "passwd.jsonl")] == (
        f"symbolic link to {secret}, outside the input directory: not landed"
    )
    assert "secret" not in " ".join(p.name for p in (home / "landing").rglob("*"))
    assert "passwd.jsonl" not in landed_from and "a.jsonl" in landed_from


def test_lines_and_files_above_the_bounds_are_refused_with_file_line_size_and_bound(tmp_path, monkeypatch):
    monkeypatch.setenv("GSM_MAX_ENVELOPE_BYTES", "4096")
    monkeypatch.setenv("GSM_MAX_FILE_BYTES", "20000")
    inp = tmp_path / "input"
    write_jsonl(inp / "long.jsonl", [_page(1001), "x" * 10_000, _page(1002)])
    (inp / "big.json").write_text(" " * 5000 + _page(3))
    with gzip.open(inp / "many.jsonl.gz", "wt") as f:
        f.write("\n".join(_page(i) for i in range(100)) + "\n")  # ~25 KB decompressed
    conn, recon = build_clean(
        tmp_path / "home", inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    quarantined = conn.execute("SELECT source_file, source_line, reason FROM clean.quarantine ORDER BY ALL").fetchall()
    kept = conn.execute("SELECT count(*) FROM clean.post_snapshots").fetchone()[0]
    conn.close()
    assert quarantined[0] == (
        "landing/files/big.json",
        1,
        f"line is {5000 + len(_page(3)):,} bytes, above the bound "
        "of 4,096 (GSM_MAX_ENVELOPE_BYTES): not read, it stays in the landed file",
    )
    assert quarantined[1][:2] == ("landing/files/long.jsonl", 2)
    assert "10,000 bytes, above the bound of 4,096" in quarantined[1][2]
    assert quarantined[2][0] == "landing/files/many.jsonl.gz"
    assert "bound of 20,000 bytes (GSM_MAX_FILE_BYTES)" in quarantined[2][2]
    lines_kept = quarantined[2][1] - 1
    assert kept == 2 + lines_kept and recon["(unreadable)"]["quarantined"] == 3  # and every record reconciles


def test_reading_a_huge_line_holds_only_the_bound(tmp_path):
    path = tmp_path / "one.jsonl"
    with open(path, "wb") as f:
        f.write(b"[" + b"0," * 3_000_000 + b"0]\n" + _page(1).encode() + b"\n")
    got = list(read_envelopes(path, line_bound=1 << 16, file_bound=1 << 30))
    assert got[0] == (
        1,
        f"{REFUSED_PREFIX}line is 6,000,003 bytes, above the bound of 65,536 "
        "(GSM_MAX_ENVELOPE_BYTES): not read, it stays in the landed file",
    )
    assert got[1] == (2, _page(1))


def test_a_gzip_bomb_lands_in_bounded_memory(tmp_path):
    """A 0.5 MiB .jsonl.gz that expands to 512 MiB (one line of zeros, then a valid page):
    landing it keeps the peak memory of the process far below the expanded size (it was read
    whole before: 4.5 GB peak for a 1 GiB bomb)."""
    inp = tmp_path / "input"
    inp.mkdir()
    with gzip.open(inp / "bomb.jsonl.gz", "wb", compresslevel=9) as f:
        zeros = b"0" * (1 << 20)
        for _ in range(512):
            f.write(zeros)
        f.write(b"\n" + _page(1).encode() + b"\n")
    assert (inp / "bomb.jsonl.gz").stat().st_size < 1 << 20
    home = tmp_path / "home"
    code = textwrap.dedent(f"""
        import resource
        from pathlib import Path
        from gsm_platform import landing, warehouse
        conn = warehouse.connect(Path({str(home)!r}) / "warehouse.duckdb")
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report = landing.land_directory(conn, Path({str(inp)!r}), Path({str(home)!r}), "files")
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(report.envelopes, (after - before) // 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    envelopes_indexed, growth_mib = map(int, done.stdout.split())
    assert envelopes_indexed == 2 and growth_mib < 120  # the line bound is 32 MiB; the bomb 512 MiB


def test_an_injected_full_disk_while_copying_leaves_nothing_landed(tmp_path, source, monkeypatch):
    monkeypatch.setenv("GSM_FAULT", "landing.copy:2:enospc")
    home = tmp_path / "home"
    conn = warehouse.connect(home / "warehouse.duckdb")
    with pytest.raises(OSError) as full:
        landing.land_directory(conn, source, home, "files")
    assert full.value.errno == errno.ENOSPC
    monkeypatch.delenv("GSM_FAULT")
    landing.land_directory(conn, source, home, "files")
    conn.close()
    clean = tmp_path / "clean"
    assert _land(clean, source).returncode == 0
    assert _state(home) == _state(clean)


def test_bounds_are_validated():
    os.environ["GSM_MAX_ENVELOPE_BYTES"] = "lots"
    try:
        with pytest.raises(ValueError, match="GSM_MAX_ENVELOPE_BYTES must be a whole number of bytes"):
            envelopes.max_envelope_bytes()
    finally:
        del os.environ["GSM_MAX_ENVELOPE_BYTES"]
