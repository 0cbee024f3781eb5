"""pull_platform: pull one platform's window for a list of accounts and land envelopes.

Per account: one profile snapshot (every run), then the posts of [start, end) WIB unless the
window is closed and its completion marker exists. Accounts run concurrently (a thread pool
sharing one httpx.Client); one account's failure never touches the others' files. A platform
stop (quota, long rate limit) or a rejected credential stops the remaining work cleanly:
what landed stays, an interrupted posts pull saves where to resume from."""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gsm_platform.registry import Account
from gsm_platform.vocabulary import WIB

from .base import UTC, Platform, Window
from .errors import ApiCredentialError, ApiError, EndpointUnreachable, ObjectUnavailable, PlatformStop, StopRequested
from .graph import Facebook, Instagram
from .http import ApiClient, Fetched, RetryPolicy, Scrubber
from .store import AccountStore
from .tiktok import TikTok
from .x import X
from .youtube import YouTube

FLOWS: dict[str, type[Platform]] = {
    "facebook": Facebook,
    "instagram": Instagram,
    "x": X,
    "youtube": YouTube,
    "tiktok": TikTok,
}
# the environment variables each platform needs (credentials, and the id Business Discovery calls from)
PLATFORM_ENV: dict[str, tuple[str, ...]] = {name: flow.credential_vars for name, flow in FLOWS.items()}
BASE_URL_ENV: dict[str, str] = {name: f"GSM_{name.upper()}_BASE_URL" for name in FLOWS}
DEFAULT_BASE_URLS: dict[str, str] = {name: flow.default_base_url for name, flow in FLOWS.items()}


@dataclass
class SkippedObject:
    """A deleted or inaccessible account or post, left out of the pull."""

    account_id: str
    object_id: str
    reason: str


@dataclass
class PullReport:
    platform: str
    start: dt.date
    end: dt.date
    accounts_total: int = 0
    accounts_done: list[str] = field(default_factory=list)  # posts window complete (this run or before)
    accounts_up_to_date: list[str] = field(default_factory=list)  # of those: closed window already landed
    accounts_failed: dict[str, str] = field(default_factory=dict)  # account_id -> message
    accounts_unavailable: list[str] = field(default_factory=list)  # deleted/inaccessible (see skipped)
    accounts_pending: list[str] = field(default_factory=list)  # not finished because the platform stopped
    pages: int = 0  # API responses received
    envelopes: int = 0  # envelopes written
    files: list[Path] = field(default_factory=list)
    skipped: list[SkippedObject] = field(default_factory=list)
    stopped_reason: str | None = None
    resume_after: dt.datetime | None = None
    unreachable: str | None = None  # the endpoint could not be reached: why (the platform stopped)

    @property
    def ok(self) -> bool:
        return not self.accounts_failed and not self.stopped_reason and not self.accounts_pending

    def summary(self) -> str:
        if self.unreachable and not self.accounts_done and not self.accounts_failed:
            return (
                f"{self.platform}: not pulled: {self.unreachable}; check the network (or "
                f"{BASE_URL_ENV[self.platform]}) and run again ({self.accounts_total} accounts not pulled)"
            )
        head = (
            f"{self.platform} {self.start}..{self.end} (WIB, end excluded): "
            f"{len(self.accounts_done)}/{self.accounts_total} accounts done"
            + (f" ({len(self.accounts_up_to_date)} already landed)" if self.accounts_up_to_date else "")
            + f", {len(self.accounts_failed)} failed, {len(self.accounts_unavailable)} unavailable, "
            f"{len(self.accounts_pending)} not finished; {self.pages} pages, {self.envelopes} envelopes "
            f"in {len(self.files)} files; {len(self.skipped)} objects skipped"
        )
        lines = [head]
        if self.stopped_reason:
            lines.append(f"  stopped: {self.stopped_reason}")
        for account_id, message in sorted(self.accounts_failed.items()):
            lines.append(f"  failed {account_id}: {message}")
        for item in self.skipped[:20]:
            lines.append(f"  skipped {item.account_id}/{item.object_id}: {item.reason}")
        if len(self.skipped) > 20:
            lines.append(f"  ... and {len(self.skipped) - 20} more skipped objects")
        return "\n".join(lines)


def _wib(moment: dt.datetime) -> dt.datetime:
    return (moment.replace(tzinfo=WIB) if moment.tzinfo is None else moment.astimezone(WIB)).replace(microsecond=0)


def envelope(platform: str, kind: str, account_id: str, fetched: Fetched) -> dict[str, Any]:
    return {
        "platform": platform,
        "kind": kind,
        "account_id": account_id,
        "fetched_at": _wib(fetched.fetched_at).isoformat(timespec="seconds"),
        "request": fetched.request(),
        "response": fetched.body,
    }


def read_credentials(platform: str, env: Mapping[str, str]) -> dict[str, str]:
    """The platform's credentials from env; ApiCredentialError names the first one missing."""
    if platform not in FLOWS:
        raise ValueError(f"unknown platform {platform!r} (expected one of {', '.join(FLOWS)})")
    found: dict[str, str] = {}
    for variable in PLATFORM_ENV[platform]:
        value = (env.get(variable) or "").strip()
        if not value:
            raise ApiCredentialError(platform, variable, f"no credential: {variable} is not set or empty")
        found[variable] = value
    return found


class _Run:
    def __init__(
        self,
        flow: Platform,
        accounts: list[Account],
        window: Window,
        out_dir: Path,
        run_at: dt.datetime,
        clock: Callable[[], dt.datetime],
        progress: Callable[[str], None] | None,
        scrubber: Scrubber,
    ):
        self.flow = flow
        self.platform = flow.name
        self.accounts = accounts
        self.window = window
        self.out_dir = out_dir
        self.run_at = run_at
        self.stamp = run_at.strftime("%Y%m%dT%H%M%S")
        self.clock = clock
        self.closed = window.end <= run_at.date()
        self.progress = progress
        self.scrubber = scrubber
        self.lock = threading.Lock()
        self.report = PullReport(flow.name, window.start, window.end, accounts_total=len(accounts))
        self.finished = 0
        self.credential_error: ApiCredentialError | None = None

    # -- shared bookkeeping (thread-safe) -------------------------------------------------------
    def say(self, message: str) -> None:
        if self.progress is None:
            return
        try:
            self.progress(self.scrubber.text(message))
        except Exception:  # a broken progress callback must not break a pull
            pass

    def count_page(self) -> None:
        with self.lock:
            self.report.pages += 1

    def skip(self, account_id: str, object_id: str, reason: str) -> None:
        with self.lock:
            self.report.skipped.append(SkippedObject(account_id, object_id, self.scrubber.text(reason)))

    def landed(self, path: Path | None, count: int) -> None:
        if path is None:
            return
        with self.lock:
            self.report.files.append(path)
            self.report.envelopes += count

    def stop(self, reason: str, resume_after: dt.datetime | None) -> None:
        with self.lock:
            if self.report.stopped_reason is None:
                self.report.stopped_reason = self.scrubber.text(
                    reason if resume_after is None else f"{reason}; resume after {resume_after.isoformat()}"
                )
                self.report.resume_after = resume_after
                first = True
            else:
                first = False
        self.flow.http.stop_event.set()
        if first:
            self.say(f"{self.platform}: stopping: {self.report.stopped_reason}")

    # -- one account ----------------------------------------------------------------------------
    def run_account(self, account: Account) -> None:
        outcome, message = "pending", ""
        if not self.flow.http.stop_event.is_set():
            outcome, message = self._account(account)
        with self.lock:
            r = self.report
            if outcome in ("done", "up_to_date"):
                r.accounts_done.append(account.account_id)
                if outcome == "up_to_date":
                    r.accounts_up_to_date.append(account.account_id)
            elif outcome == "failed":
                r.accounts_failed[account.account_id] = self.scrubber.text(message)
            elif outcome == "unavailable":
                r.accounts_unavailable.append(account.account_id)
            else:
                r.accounts_pending.append(account.account_id)
            self.finished += 1
            line = f"{self.platform}: {self.finished}/{len(self.accounts)} accounts, {r.pages} pages"
        if outcome == "failed":
            self.say(f"{self.platform}: account {account.account_id} failed: {message}")
        self.say(line)

    def _account(self, account: Account) -> tuple[str, str]:
        problem = self.flow.check_account(account)
        if problem:
            return "failed", f"{self.platform} account {account.account_id}: {problem}"
        store = AccountStore(self.out_dir, self.platform, account.account_id, self.window.label, self.stamp)
        try:
            profile = self.flow.profile(account)
            out = store.profile_file()
            out.add(envelope(self.platform, "profile", account.account_id, profile))
            self.landed(out.close(), 1)
            if self.closed and store.marker_exists(closed_only=True):
                return "up_to_date", ""
            if self.window.start_utc >= dt.datetime.now(UTC):
                return "done", ""  # the window has not begun: no posts yet
            self._posts(account, store, profile)
            return "done", ""
        except ObjectUnavailable as exc:
            self.skip(account.account_id, exc.object_id, exc.reason)
            return "unavailable", ""
        except ApiCredentialError as exc:
            with self.lock:
                if self.credential_error is None:
                    self.credential_error = exc
            self.stop(str(exc), None)
            return "failed", str(exc)
        except EndpointUnreachable as exc:  # down for every account alike: one line, not one per account
            with self.lock:
                self.report.unreachable = self.report.unreachable or str(exc).removeprefix(f"{self.platform}: ")
            self.stop(str(exc), None)
            return "pending", ""
        except PlatformStop as exc:
            self.stop(exc.reason, exc.resume_after)
            return "pending", ""
        except StopRequested:
            return "pending", ""
        except ApiError as exc:
            return "failed", str(exc)
        except Exception as exc:  # a bug or an unexpected body: this account fails, the others go on
            return "failed", f"{self.platform}: unexpected {type(exc).__name__}: {exc}"

    def _posts(self, account: Account, store: AccountStore, profile: Fetched) -> None:
        state = store.load_resume(closed_only=self.closed)
        resumed = state is not None
        while True:
            out = store.posts_file()
            last_state, steps, written = state, 0, 0
            try:
                for step in self.flow.posts(account, self.window, state, profile):
                    if step.fetched is not None:
                        out.add(envelope(self.platform, "posts", account.account_id, step.fetched))
                        written += 1
                    last_state, steps = step.state, steps + 1
            except ApiError:
                self.landed(out.close(), written)
                if resumed and steps == 0:
                    # the saved cursor may have expired: start the window over, once
                    self.say(
                        f"{self.platform}: account {account.account_id}: could not resume, pulling the window again"
                    )
                    store.clear_resume()
                    state, resumed = None, False
                    continue
                if steps and last_state is not None:
                    store.save_resume(last_state, self.clock(), self.closed)
                raise
            except BaseException:
                self.landed(out.close(), written)
                if steps and last_state is not None:
                    store.save_resume(last_state, self.clock(), self.closed)
                raise
            path = out.close()
            self.landed(path, written)
            store.write_marker(
                {
                    "platform": self.platform,
                    "account_id": account.account_id,
                    "start": self.window.start.isoformat(),
                    "end": self.window.end.isoformat(),
                    "completed_at": self.clock().isoformat(),
                    "window_closed": self.closed,  # only then does a re-run skip the window
                    "resumed": resumed,
                    "envelopes": written,
                    "file": path.name if path else None,
                }
            )
            store.clear_resume()
            return


def pull_platform(
    platform: str,
    accounts: list[Account],
    start: dt.date,
    end: dt.date,
    out_dir: Path,
    *,
    fetched_at: dt.datetime | None = None,
    concurrency: int = 4,
    progress: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    timeout_seconds: float = 30.0,
    max_retries: int = 5,
    backoff_seconds: float = 1.0,
    max_wait_seconds: float = 900.0,
    rate_backoff_seconds: float = 30.0,
    sleep: Callable[[float], None] | None = None,
) -> PullReport:
    """Pull `platform` for `accounts`: posts published in [start, end) WIB and one profile
    snapshot each, written as envelope files under out_dir/<platform>/<account_id>/.

    fetched_at fixes the envelopes' fetch time and the run's "today" (default: the clock).
    Raises ApiCredentialError when a credential is missing (before any request) or rejected
    (then `exc.report` has what landed before). Quotas and long rate limits do not raise:
    the report's stopped_reason says what happened and when to resume."""
    env = os.environ if env is None else env
    credentials = read_credentials(platform, env)
    if end <= start:
        raise ValueError(f"end ({end}) must be after start ({start}): the window is [start, end)")
    unique: dict[str, Account] = {}
    for account in accounts:
        if account.platform != platform:
            raise ValueError(f"account {account.account_id} is a {account.platform} account, not {platform}")
        unique.setdefault(account.account_id, account)
    run_at = _wib(fetched_at) if fetched_at is not None else _wib(dt.datetime.now(WIB))
    clock: Callable[[], dt.datetime] = (
        (lambda: run_at) if fetched_at is not None else (lambda: _wib(dt.datetime.now(WIB)))
    )

    flow = FLOWS[platform](credentials)
    scrubber = Scrubber(flow.secrets())
    base_url = (env.get(BASE_URL_ENV[platform]) or "").strip() or flow.default_base_url
    run = _Run(flow, list(unique.values()), Window(start, end), Path(out_dir), run_at, clock, progress, scrubber)
    auth_params, auth_headers = flow.auth()
    client = ApiClient(
        platform=platform,
        base_url=base_url,
        classify=flow.classify,
        scrubber=scrubber,
        policy=RetryPolicy(
            max_retries=max_retries,
            backoff_seconds=backoff_seconds,
            max_wait_seconds=max_wait_seconds,
            rate_backoff_seconds=rate_backoff_seconds,
            sleep=sleep or time.sleep,
        ),
        timeout_seconds=timeout_seconds,
        auth_params=auth_params,
        auth_headers=auth_headers,
        clock=clock,
        on_page=run.count_page,
    )
    flow.client = client
    flow.report_skip = run.skip
    run.say(f"{platform}: pulling {len(run.accounts)} accounts, posts of {start}..{end} (WIB, end excluded)")
    try:
        with ThreadPoolExecutor(
            max_workers=max(1, min(concurrency, len(run.accounts) or 1)), thread_name_prefix=f"gsm-{platform}"
        ) as pool:
            for future in [pool.submit(run.run_account, a) for a in run.accounts]:
                future.result()
    finally:
        client.close()
    report = run.report
    report.files.sort()
    report.accounts_done.sort()
    report.accounts_up_to_date.sort()
    report.accounts_unavailable.sort()
    report.accounts_pending.sort()
    run.say(report.summary().splitlines()[0])
    if run.credential_error is not None:
        run.credential_error.report = report
        raise run.credential_error
    return report
