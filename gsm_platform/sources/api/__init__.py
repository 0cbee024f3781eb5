"""The `api` source: pulls each platform's public API for an edition window and lands
envelopes (RAW_FORMAT.md) under out_dir/<platform>/<account_id>/. See docs/api_sources.md."""

from .errors import ApiCredentialError
from .pull import BASE_URL_ENV, DEFAULT_BASE_URLS, PLATFORM_ENV, PullReport, SkippedObject, pull_platform

__all__ = [
    "BASE_URL_ENV",
    "DEFAULT_BASE_URLS",
    "PLATFORM_ENV",
    "ApiCredentialError",
    "PullReport",
    "SkippedObject",
    "pull_platform",
]
