"""Faults end to end (issue 14): `gsm` run as a subprocess on the small generated edition and
killed, interrupted, starved of disk or read beside; then the same command run again must
finish on its own with rankings byte-identical to a clean run's (the session's `small_edition`,
built from the same source). Faults are injected at named points (gsm_platform/faults.py:
GSM_FAULT=<point>[:<n>][:<action>]), not by timing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

READER_MESSAGES = ("the warehouse is busy", "has no rankings yet", "no warehouse at")


def materialize_args(ed) -> list[str]:
    return [
        "materialize",
        "--edition",
        ed.edition,
        "--source",
        "files",
        "--input",
        str(ed.source / "input"),
        "--registry",
        str(ed.source / "registry.yaml"),
        "--editions",
        str(ed.source / "editions.yaml"),
    ]


def _env(home: Path, extra: dict | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("GSM_FAULT", "GSM_WAREHOUSE", "DAGSTER_HOME")}
    return {**env, "GSM_HOME": str(home), **(extra or {})}


def gsm(home: Path, *args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gsm_platform.cli", *args],
        env=_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_RUNNING: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_command_left_running():
    """A test that fails half-way leaves no `gsm` (a holder hung on purpose) behind it."""
    yield
    while _RUNNING:
        proc = _RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Running:
    """A `gsm` command in the background, its output collected as it comes."""

    def __init__(self, home: Path, *args: str, env: dict | None = None):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gsm_platform.cli", *args],
            env=_env(home, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        _RUNNING.append(self.proc)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self._reader.start()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            assert self.proc.poll() is None, f"exited {self.proc.returncode} before {text!r}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {text!r} after {timeout} s:\n{self.output}"
            time.sleep(0.2)

    def stop_within(self, signum: int, seconds: float) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signum)
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # say what the command said, not only that it hung
            self.proc.kill()
            self.proc.wait()
            self._reader.join(timeout=10)
            raise AssertionError(f"still running 60 s after signal {signum}:\n{self.output[-5000:]}") from None
        self._reader.join(timeout=10)
        return code, time.monotonic() - started


def exports(home: Path, edition: str) -> tuple[bytes, bytes]:
    out = home / "exports" / edition
    return (out / "rankings.json").read_bytes(), (out / "rankings.csv").read_bytes()


def assert_same_rankings(home: Path, ed) -> None:
    assert exports(home, ed.edition) == exports(ed.home, ed.edition)
    mine = gsm(home, "rankings", "--edition", ed.edition, "--format", "json")
    reference = gsm(ed.home, "rankings", "--edition", ed.edition, "--format", "json")
    assert mine.returncode == 0 and mine.stdout == reference.stdout
    quality = gsm(home, "quality", "--edition", ed.edition)
    assert quality.returncode == 0, quality.stdout[-3000:]


def _warehouse_held(home: Path) -> bool:
    try:
        duckdb.connect(str(home / "warehouse.duckdb"), read_only=True).close()
        return False
    except duckdb.IOException:
        return True


def test_after_kill_9_at_each_point_the_same_command_finishes_with_the_same_rankings(small_edition, tmp_path):
    """Killed while copying input files, before the landing's commit, in a cleaning slice, in
    dbt and while the export is written, one after the other in one home (each rerun starts
    from what the kill before left, and is itself killed further on); then the same command,
    nothing done by hand in between. A `'` in GSM_HOME rides along (SQL quoting)."""
    home = tmp_path / "it's home"
    args = materialize_args(small_edition)
    for fault in ("landing.copy:40", "landing.index:1", "cleaning:1", "dbt:3", "rankings.export:1"):
        killed = gsm(home, *args, env={"GSM_FAULT": fault})
        assert killed.returncode == -signal.SIGKILL, (fault, killed.stdout, killed.stderr[-3000:])
    done = gsm(home, *args)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "recovered run" in done.stderr and "marked failed, its warehouse slot released" in done.stderr
    assert not list(home.rglob("*.part"))
    assert_same_rankings(home, small_edition)


def test_a_held_warehouse_is_waited_for_out_loud_signals_stop_gsm_and_readers_never_break_writers(
    small_edition, tmp_path
):
    home = tmp_path / "home"
    args = materialize_args(small_edition)
    holder = Running(home, *args, env={"GSM_FAULT": "cleaning:1:hang"})  # stays in a cleaning step, holding it all
    holder.wait_for("[2/4]")
    deadline = time.monotonic() + 120
    while not _warehouse_held(home):
        assert time.monotonic() < deadline and holder.proc.poll() is None, holder.output
        time.sleep(0.5)

    # another writer waits, says for which run and process, and gives up at its bound
    writer = gsm(home, "update", env={"GSM_WAREHOUSE_WAIT_SECONDS": "3"})
    said = writer.stdout + writer.stderr
    assert writer.returncode == 2 and "Traceback" not in said, said
    assert f"(pid {holder.proc.pid}, gsm materialize" in said and "which holds the warehouse" in said
    assert writer.stderr.strip().splitlines()[-1].startswith("gsm update: the warehouse is still held by run")

    # a reader says in one line that the warehouse is busy and with what
    reader = gsm(home, "quality", env={"GSM_READ_WAIT_SECONDS": "2"})
    assert reader.returncode == 2 and "Traceback" not in reader.stderr
    last = reader.stderr.strip().splitlines()[-1]
    assert last.startswith("gsm quality: the warehouse is busy") and f"pid {holder.proc.pid}" in last

    # Ctrl-C stops a command that waits for the warehouse (it waited forever, deaf to it)
    waiter = Running(home, "update")
    waiter.wait_for("which holds the warehouse")
    code, seconds = waiter.stop_within(signal.SIGINT, 5)
    assert code == 130 and seconds < 5 and "interrupted" in waiter.output, waiter.output

    # SIGTERM stops the holder, inside its step
    code, seconds = holder.stop_within(signal.SIGTERM, 5)
    assert code == 143 and seconds < 5, holder.output
    assert "interrupted by SIGTERM: stopping" in holder.output

    # the same command again finishes on its own, with readers beside it all along
    writer = Running(home, *args)
    reads = []
    while writer.proc.poll() is None:
        for command in (["quality"], ["rankings", "--format", "json"]):
            reads.append(gsm(home, *command, env={"GSM_READ_WAIT_SECONDS": "1"}))
    writer.proc.wait()
    writer._reader.join(timeout=10)
    assert writer.proc.returncode == 0, writer.output[-3000:]
    assert "recovered" not in writer.output  # the holder failed its run and freed its slot on its way out
    assert_readers_never_broke(reads)
    assert_same_rankings(home, small_edition)


def assert_readers_never_broke(reads: list[subprocess.CompletedProcess]) -> None:
    """Each read beside a writer ends well, or says in one line why not (after at most a line
    saying it waits); never a traceback."""
    assert len(reads) >= 4
    for read in reads:
        assert "Traceback" not in read.stderr, read.stderr[-3000:]
        if read.returncode == 2:
            lines = read.stderr.strip().splitlines()
            assert len(lines) <= 2 and any(m in lines[-1] for m in READER_MESSAGES), read.stderr
        else:
            assert read.returncode in (0, 1)  # quality exits 1 while a check fails on a half-built edition


def test_a_reader_holding_the_warehouse_makes_a_writer_wait_not_fail(small_edition, tmp_path):
    """The reader lets go only once the writer has said it waits for it: a fixed hold raced the
    writer's start-up on a busy machine (the reader was gone before `gsm` reached the warehouse)."""
    home = tmp_path / "home"
    shutil.copytree(small_edition.home, home)
    release = tmp_path / "release"
    code = (
        "import duckdb, os, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print('holding', flush=True); t = time.monotonic()\n"
        "while not os.path.exists(sys.argv[2]) and time.monotonic() - t < 300: time.sleep(0.1)"
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", code, str(home / "warehouse.duckdb"), str(release)], stdout=subprocess.PIPE, text=True
    )
    _RUNNING.append(reader)
    assert reader.stdout.readline().strip() == "holding"
    stderr_path = tmp_path / "update.stderr"
    with stderr_path.open("w") as stderr:
        writer = subprocess.Popen(
            [sys.executable, "-m", "gsm_platform.cli", "update"],
            env=_env(home, None),
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        _RUNNING.append(writer)
        waiting = f"waiting for the warehouse: warehouse.duckdb is held by pid {reader.pid}"
        deadline = time.monotonic() + 300
        while waiting not in stderr_path.read_text() and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        said = stderr_path.read_text()
        release.touch()
        out, _ = writer.communicate(timeout=600)
    reader.wait(timeout=60)
    assert waiting in said, said[-3000:]
    assert writer.returncode == 0, out + stderr_path.read_text()[-3000:]


def _mount_tmpfs(path: Path, size_bytes: int) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_bytes}", "tmpfs", str(path)], capture_output=True, text=True
    )
    return done.returncode == 0


def test_a_full_disk_is_said_plainly_and_the_same_command_then_finishes(small_edition, tmp_path):
    """GSM_HOME on a tmpfs about 3/4 the size a full build needs: the run stops with one message
    that says no space, what was kept and what to do; with room made, the same command finishes
    with the same rankings. Where mounting is not allowed (CI without root), the disk fills by
    injection instead (ENOSPC raised while copying the landing)."""
    args = materialize_args(small_edition)
    needed = sum(p.stat().st_size for p in small_edition.home.rglob("*") if p.is_file())
    disk = tmp_path / "disk"
    mounted = _mount_tmpfs(disk, int(needed * 0.75))
    home = disk / "home"
    try:
        full = gsm(home, *args, env=None if mounted else {"GSM_FAULT": "landing.copy:100:enospc"})
        assert full.returncode in (1, 2), full.stdout + full.stderr[-3000:]
        assert "Traceback" not in full.stderr, full.stderr[-5000:]
        assert "no space left on device for GSM_HOME" in full.stderr and "run the same command again" in full.stderr
        if mounted:
            subprocess.run(["mount", "-o", f"remount,size={needed * 4}", str(disk)], check=True)
        done = gsm(home, *args)
        assert done.returncode == 0, done.stdout + done.stderr[-3000:]
        assert_same_rankings(home, small_edition)
    finally:
        if mounted:
            subprocess.run(["umount", str(disk)], check=False)
    if not mounted:
        pytest.skip("tmpfs cannot be mounted here (needs root): the full disk was injected (ENOSPC) instead")


def test_out_of_memory_is_said_with_the_setting_to_raise(small_edition, tmp_path):
    done = gsm(tmp_path / "home", *materialize_args(small_edition), env={"GSM_DUCKDB_MEMORY_LIMIT": "8MB"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "DuckDB ran out of memory at its limit GSM_DUCKDB_MEMORY_LIMIT=8MB" in done.stderr, done.stderr[-3000:]
    assert "Raise GSM_DUCKDB_MEMORY_LIMIT" in done.stderr
