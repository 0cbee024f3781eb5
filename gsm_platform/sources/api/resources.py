"""The Dagster resource for the `api` source. Credentials are not fields: they come from the
environment only (see PLATFORM_ENV), so they never reach run config, the UI or the event log."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Callable

import dagster as dg

from gsm_platform.registry import Account

from .pull import PullReport, pull_platform


class ApiSource(dg.ConfigurableResource):
    """Pulls a platform's public API into envelope files (gsm_platform.sources.api)."""

    concurrency: int = 4
    timeout_seconds: float = 30
    max_retries: int = 5

    @classmethod
    def from_env(cls) -> "ApiSource":
        """The tuning `gsm materialize` uses: GSM_API_CONCURRENCY (accounts pulled at once per
        platform), GSM_API_TIMEOUT_SECONDS, GSM_API_MAX_RETRIES; unset means the defaults."""
        fields = {"concurrency": ("GSM_API_CONCURRENCY", int), "timeout_seconds": ("GSM_API_TIMEOUT_SECONDS", float),
                  "max_retries": ("GSM_API_MAX_RETRIES", int)}
        values = {}
        for name, (variable, kind) in fields.items():
            text = (os.environ.get(variable) or "").strip()
            if text:
                try:
                    values[name] = kind(text)
                except ValueError:
                    raise ValueError(f"{variable} must be a number (got {text!r})") from None
        return cls(**values)

    def pull(
        self,
        platform: str,
        accounts: list[Account],
        start: dt.date,
        end: dt.date,
        out_dir: Path,
        progress: Callable[[str], None] | None = None,
    ) -> PullReport:
        return pull_platform(
            platform,
            accounts,
            start,
            end,
            Path(out_dir),
            concurrency=self.concurrency,
            progress=progress,
            timeout_seconds=self.timeout_seconds,
            max_retries=self.max_retries,
        )
