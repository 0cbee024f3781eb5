"""Landing: envelopes indexed with their file and line, whatever the batching."""

import gzip
import json
import shutil

import pytest

from gsm_platform import landing, warehouse
from tests.support import FIXTURES_SAMPLES


def _index(tmp_path, name, inp):
    home = tmp_path / name
    conn = warehouse.connect(home / "warehouse.duckdb")
    new = landing.land_directory(conn, inp, home, "files")
    count = landing.index_envelopes(conn, home, new)
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
    monkeypatch.setattr(landing, "BATCH_BYTES", 1)  # a batch per file, read ahead by the thread
    many = _index(tmp_path, "many", inp)
    assert many == one_batch
    lines = [(r[1], r[2]) for r in one_batch[1] if r[0] == "more.jsonl.gz"]
    assert lines == [(1, "x"), (3, None), (4, "x")]  # blank line 2 skipped, line numbers kept


def test_a_read_error_reaches_the_caller_and_an_early_stop_does_not_hang():
    def failing():
        yield 1
        raise OSError("truncated gzip")

    with pytest.raises(OSError, match="truncated gzip"):
        list(landing._prefetched(failing()))
    endless = landing._prefetched(iter(range(10**9)))
    assert next(endless) == 0
    endless.close()  # the reader thread stops instead of waiting forever on a full queue
