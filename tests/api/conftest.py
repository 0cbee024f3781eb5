"""Fixtures of the api source tests: a started fake platform API (fakes.py), a pull against
it without real sleeping, the envelopes a pull landed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gsm_platform.registry import Account
from gsm_platform.sources.api import pull_platform
from tests.api.fakes import END, FAKES, FETCHED_AT, START, read_envelopes


@pytest.fixture
def fake_api():
    """fake_api("youtube") -> a started fake of that platform (closed after the test)."""
    started: list[Any] = []

    def make(platform: str):
        fake = FAKES[platform]()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.server.close()


@dataclass
class PullResult:
    report: Any
    messages: list[str]
    sleeps: list[float]
    out: Path


@pytest.fixture
def run_pull(tmp_path):
    """run_pull(fake, accounts, **kw): pull_platform against the fake with a recording sleep
    (no real sleeping) and a recorded progress; returns PullResult."""
    out = tmp_path / "out"

    def run(fake: Any, accounts: list[Account], **kw: Any) -> PullResult:
        messages: list[str] = []
        sleeps: list[float] = []
        kw.setdefault("fetched_at", FETCHED_AT)
        kw.setdefault("env", fake.env)
        kw.setdefault("sleep", sleeps.append)
        kw.setdefault("progress", messages.append)
        start, end = kw.pop("start", START), kw.pop("end", END)
        report = pull_platform(fake.platform, accounts, start, end, kw.pop("out_dir", out), **kw)
        return PullResult(report, messages, sleeps, out)

    return run


@pytest.fixture
def envelopes_of():
    """envelopes_of(report, kind=None, account=None) -> every envelope the report's files hold."""

    def collect(report: Any, kind: str | None = None, account: str | None = None) -> list[dict[str, Any]]:
        found = []
        for path in report.files:
            for env in read_envelopes(path):
                if (kind is None or env["kind"] == kind) and (account is None or env["account_id"] == account):
                    found.append(env)
        return found

    return collect
