"""Pull a whole edition: every registry account of the edition's clusters on the edition's
platforms, for the edition window [start, end), one `pull_platform` per platform.

Platforms run in parallel (each is a different API with its own limits), accounts inside a
platform run concurrently within the `ApiSource.concurrency` bound. Progress messages from
the worker threads are queued and handed to `progress` on the calling thread only, so a
Dagster logger (which writes the instance's event log) is never called from a worker.

A platform whose credential variables are not set is skipped with a warning (an operator
rarely has every platform's access, see docs/api_sources.md), unless no platform of the
edition has credentials: then there is nothing to rank and `NoCredentials` is raised."""

from __future__ import annotations

import os
import queue
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from gsm_platform.registry import Account, Edition, Registry

from .errors import ApiCredentialError
from .pull import PLATFORM_ENV, PullReport

Puller = Callable[
    ..., PullReport
]  # pull_platform or ApiSource.pull: (platform, accounts, start, end, out_dir, progress=)


class NoCredentials(RuntimeError):
    """None of the edition's platforms has its credential variables set."""


@dataclass
class EditionPull:
    edition: str
    reports: dict[str, PullReport] = field(default_factory=dict)  # platform -> report (also for rejected credentials)
    missing_credentials: dict[str, str] = field(default_factory=dict)  # platform -> variable not set
    credential_errors: dict[str, ApiCredentialError] = field(default_factory=dict)  # rejected mid-run
    no_accounts: list[str] = field(default_factory=list)  # edition platforms without any registry account

    @property
    def files(self) -> list[Path]:
        return sorted(p for r in self.reports.values() for p in r.files)

    def warnings(self) -> list[str]:
        out = [
            f"{p}: not pulled, {v} is not set (the edition's {p} data will be missing from the rankings)"
            for p, v in sorted(self.missing_credentials.items())
        ]
        for p, r in sorted(self.reports.items()):
            if r.stopped_reason:
                out.append(
                    f"{p}: stopped early: {r.stopped_reason}; run again then to finish "
                    f"({len(r.accounts_pending)} account(s) not finished)"
                )
            if r.accounts_failed:
                out.append(
                    f"{p}: {len(r.accounts_failed)} account(s) failed (see the pull report); run again to retry them"
                )
        return out


def edition_accounts(registry: Registry, edition: Edition) -> dict[str, list[Account]]:
    """The accounts an edition ranks, per platform of the edition (registry order). Institutions
    outside the edition's clusters are never ranked by it, so their quota is not spent."""
    clusters = set(edition.clusters)
    out: dict[str, list[Account]] = {p: [] for p in edition.platforms}
    for inst in registry.institutions:
        if inst.cluster not in clusters:
            continue
        for account in inst.accounts:
            if account.platform in out:
                out[account.platform].append(account)
    return out


def missing_credential(platform: str, env: Mapping[str, str]) -> str | None:
    for variable in PLATFORM_ENV[platform]:
        if not (env.get(variable) or "").strip():
            return variable
    return None


def pull_edition(
    registry: Registry,
    edition: Edition,
    out_dir: Path,
    puller: Puller,
    progress: Callable[[str], None] = lambda _: None,
    env: Mapping[str, str] | None = None,
) -> EditionPull:
    env = os.environ if env is None else env
    result = EditionPull(edition.id)
    work: dict[str, list[Account]] = {}
    for platform, accounts in edition_accounts(registry, edition).items():
        variable = missing_credential(platform, env)
        if not accounts:
            result.no_accounts.append(platform)
        elif variable:
            result.missing_credentials[platform] = variable
        else:
            work[platform] = accounts
    if not work:
        if result.missing_credentials:
            needed = "; ".join(f"{p}: {', '.join(PLATFORM_ENV[p])}" for p in sorted(result.missing_credentials))
            raise NoCredentials(
                f"edition {edition.id}: no platform has its credentials set, nothing can be pulled "
                f"(set the variables of at least one platform: {needed})"
            )
        return result
    messages: queue.SimpleQueue[str] = queue.SimpleQueue()

    def drain() -> None:
        while True:
            try:
                message = messages.get_nowait()
            except queue.Empty:
                return
            try:
                progress(message)
            except Exception:
                pass

    def one(platform: str) -> PullReport:
        return puller(platform, work[platform], edition.start, edition.end, out_dir, progress=messages.put)

    with ThreadPoolExecutor(max_workers=len(work), thread_name_prefix="gsm-edition") as pool:
        pending = {pool.submit(one, p): p for p in work}
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            drain()
            for future in done:
                platform = pending.pop(future)
                try:
                    result.reports[platform] = future.result()
                except ApiCredentialError as exc:
                    result.credential_errors[platform] = exc
                    if exc.report is not None:
                        result.reports[platform] = exc.report
    drain()
    return result
