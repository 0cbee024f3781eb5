"""The award's domain vocabulary, in one place: platforms, clusters, categories, the kinds of
media, envelopes and follower snapshots, and the award's clock (WIB).

Every Python module imports these names from here; dbt reads the lists as vars of
dbt_project/dbt_project.yml (`var('clusters')` in the models and in the YAML tests'
`accepted_values`). dbt cannot import Python, so the vars are a copy: `gsm_platform.vocabulary`
writes them (`python -m gsm_platform.vocabulary` prints the block) and
tests/test_vocabulary.py fails when the two differ, in the YAML file or in dbt's own parse.

Why vars and not a seed: the lists are used at compile time (the loop over categories in
models/marts/rankings.sql, the values of `accepted_values` tests), where a seed is a table that
only a query at run time could read. Nothing joins them as data.

The order of each tuple is the order people read (report, `gsm rankings`, the CLI's help):
categories as METHODOLOGY.md lists them, platforms and clusters as RAW_FORMAT.md does.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Literal, get_args

Platform = Literal["facebook", "instagram", "x", "youtube", "tiktok"]
Cluster = Literal["kementerian", "lembaga", "pemprov", "ptn", "bumn"]
PlatformCategory = Literal["most_active", "most_engaging", "best_use_of_image", "best_use_of_video"]
Category = Literal[PlatformCategory, "best_account"]
MediaKind = Literal["image", "video", "text"]
EnvelopeKind = Literal["posts", "profile"]
FollowerOrigin = Literal["profile", "business_discovery"]
# an institution's own accounts are scored, its leaders' accounts only recorded
AccountRole = Literal["institution", "leader"]
# where a run's envelopes come from: the seeded demo generator, recorded files, the live APIs
Source = Literal["demo", "files", "api"]

PLATFORMS: tuple[str, ...] = get_args(Platform)
CLUSTERS: tuple[str, ...] = get_args(Cluster)
# the four categories scored per platform, then best_account (a weighted sum of those four)
PLATFORM_CATEGORIES: tuple[str, ...] = get_args(PlatformCategory)
CATEGORIES: tuple[str, ...] = get_args(Category)
MEDIA_KINDS: tuple[str, ...] = get_args(MediaKind)
ENVELOPE_KINDS: tuple[str, ...] = get_args(EnvelopeKind)
FOLLOWER_ORIGINS: tuple[str, ...] = get_args(FollowerOrigin)
ACCOUNT_ROLES: tuple[str, ...] = get_args(AccountRole)
SOURCES: tuple[str, ...] = get_args(Source)

# The award's clock: Asia/Jakarta, UTC+7 all year (no daylight saving since 1964). Windows,
# fetch days and fetch months are WIB dates; the warehouse stores naive WIB timestamps.
WIB_OFFSET_HOURS = 7
WIB = dt.timezone(dt.timedelta(hours=WIB_OFFSET_HOURS), "WIB")
WIB_OFFSET_SECONDS = WIB_OFFSET_HOURS * 3600
WIB_OFFSET_US = WIB_OFFSET_SECONDS * 1_000_000


def dbt_vars() -> dict[str, list[str] | int]:
    """The vocabulary as dbt_project.yml's vars hold it (names are the dbt var names)."""
    return {
        "platforms": list(PLATFORMS),
        "clusters": list(CLUSTERS),
        "platform_categories": list(PLATFORM_CATEGORIES),
        "categories": list(CATEGORIES),
        "media_kinds": list(MEDIA_KINDS),
        "follower_origins": list(FOLLOWER_ORIGINS),
        "account_roles": list(ACCOUNT_ROLES),
        "wib_offset_hours": WIB_OFFSET_HOURS,
    }


def dbt_vars_block() -> str:
    """The vars lines to paste into dbt_project.yml after a change here (JSON lists, quoted, so
    that YAML never reads a value as a boolean or a number)."""
    return "".join(f"  {name}: {json.dumps(values)}\n" for name, values in dbt_vars().items())


if __name__ == "__main__":
    print(dbt_vars_block(), end="")
