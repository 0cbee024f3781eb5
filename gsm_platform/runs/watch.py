"""Watching a run `gsm` executes in process: Ctrl-C / SIGTERM, and a step blocked on the pool.

Dagster's in-process execution takes over SIGINT and SIGTERM (capture_interrupts) and only
looks at them at checkpoints an in-process run never reaches while a step waits for a pool
slot: `gsm materialize` ignored Ctrl-C and SIGTERM there, waiting forever. The watch is a
thread that learns of a signal from the wakeup descriptor (written by the interpreter's C
handler the moment the signal arrives, whatever the main thread is doing, a DuckDB query
included) and stops the command within a second:

- it says so on the terminal, marks the run failed and frees its pool slots, stops the
  command's child processes (dbt), and exits (130 for SIGINT, 143 for SIGTERM). Stopping
  there is as safe as a kill -9, which the platform is built to survive: every write commits
  whole or not at all (a landed file with its envelopes, a cleaning slice, a dbt model), and
  the same command run again goes on from what was committed;
- while a step of the run waits for the `warehouse` pool, it says which run holds it, frees
  the slot of a holder whose process is gone, and after GSM_WAREHOUSE_WAIT_SECONDS stops the
  command the same way (exit 2) with the holder named.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import threading
import time

import dagster as dg

from gsm_platform import processes
from gsm_platform.runs import recovery
from gsm_platform.warehouse import WAREHOUSE_POOL, wait_seconds

POLL_SECONDS = 1.0
BLOCKED_AFTER_SECONDS = 2.0  # a claim this old is a wait, not the moment a slot is being handed over
SIGNALS: dict[int, str] = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}  # by number: the wakeup bytes


class RunWatch:
    def __init__(self, instance: dg.DagsterInstance, run_id: str, say: recovery.Say, bound: float | None = None):
        self.instance = instance
        self.run_id = run_id
        self.say = say
        self.bound = wait_seconds(read_only=False) if bound is None else bound
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wakeup: tuple[socket.socket, socket.socket] | None = None
        self._previous_fd = -1
        self._blocked_since: float | None = None
        self._said: set[str] = set()

    def __enter__(self) -> RunWatch:
        if threading.current_thread() is threading.main_thread():
            reader, writer = socket.socketpair()
            reader.setblocking(False)
            writer.setblocking(False)
            self._previous_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
            self._wakeup = (reader, writer)
        self._thread = threading.Thread(target=self._watch, name="gsm-run-watch", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._wakeup is not None:
            signal.set_wakeup_fd(self._previous_fd)
            for sock in self._wakeup:
                sock.close()

    def _watch(self) -> None:
        while not self._stop.is_set():
            if self._wakeup is not None:
                ready, _, _ = select.select([self._wakeup[0]], [], [], POLL_SECONDS)
                if ready:
                    for signum in self._wakeup[0].recv(64):
                        if signum in SIGNALS:
                            self.stop(f"interrupted by {SIGNALS[signum]}", 128 + signum)
            else:
                time.sleep(POLL_SECONDS)
            if not self._stop.is_set():
                try:
                    self._check_pool()
                except Exception:  # the instance is busy or being written: look again in a second
                    pass

    def _check_pool(self) -> None:
        info = self.instance.event_log_storage.get_concurrency_info(WAREHOUSE_POOL)
        waiting = any(p.run_id == self.run_id and p.assigned_timestamp is None for p in info.pending_steps)
        if not waiting:
            self._blocked_since = None
            return
        now = time.monotonic()
        self._blocked_since = self._blocked_since or now
        if now - self._blocked_since < BLOCKED_AFTER_SECONDS:
            return
        live = recovery.free_stale_slots(self.instance, self.say, exclude=self.run_id)
        for proc in live:
            if proc.run_id not in self._said:
                self.say(
                    f"waiting for {proc.words()}, which holds the warehouse (up to {self.bound:g} s, "
                    "GSM_WAREHOUSE_WAIT_SECONDS)"
                )
                self._said.add(proc.run_id)
        if live and now - self._blocked_since >= self.bound:
            first = live[0]
            self.stop(
                f"the warehouse is still held by {first.words()} after {self.bound:g} s: let it finish, or stop "
                f"it{f' (kill {first.pid})' if first.pid else ''} and run this again",
                2,
            )

    def stop(self, why: str, code: int) -> None:
        """Stop the command now: say why, fail the run and free its slots, stop the children, exit."""
        self.say(f"gsm: {why}: stopping; what was committed stays, the same command run again goes on from there")
        try:
            recovery.mark_failed(self.instance, self.run_id, f"gsm stopped: {why}")
        except Exception:  # the next gsm marks it failed (its process is gone)
            pass
        processes.stop_children()
        os._exit(code)
