"""Every registered account as an asset of its own, upstream of its platform's raw pulls, so
that the lineage of `rankings` reaches each source account and an auditor can walk it both ways.

- `accounts/<platform>/<account id>` (group `accounts_<platform>`): one external asset per
  account of the registry in use, with its handle, institution, cluster, role and lifecycle in
  its definition's metadata, the editions whose rankings it feeds (links to those partitions),
  and its pull history as observations (one per cleaning run of its fetch months,
  assets/account_pulls.py).
- `platforms/<platform>`: the platform as the external system the accounts' pages come from,
  between the accounts and `raw/<platform>`. Not decoration: Dagster reads the latest event of
  every parent of an asset when it materializes it (data-version provenance, one SQLite query
  per parent, ~10-20 ms each). With the 1,506 accounts of the default registry as direct parents
  of the raw pulls, a clean run spent 15-30 s in those reads; through one node per platform it
  reads five.

The registry in use is the copy of the registry and editions files that the `registry` asset
last loaded, kept in GSM_HOME/registry/ (`keep_in_use`), else the shipped defaults: the
accounts are known when the definitions load, and the UI's "Reload definitions" picks up a
new registry. Why an asset per account and not a partition of one account-keyed asset:
docs/lineage.md (measured there: definitions load and the lineage page at 1,500 accounts).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from gsm_platform.paths import gsm_home
from gsm_platform.registry import (
    DEFAULT_EDITIONS,
    DEFAULT_REGISTRY,
    Account,
    Editions,
    LifecycleEvent,
    Registry,
    file_sha256,
    load_editions,
    load_registry,
)
from gsm_platform.vocabulary import PLATFORMS

ACCOUNTS_PREFIX = "accounts"
PLATFORMS_PREFIX = "platforms"
PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "x": "X", "youtube": "YouTube", "tiktok": "TikTok"}
# a key part as it is in the UI's URLs (/assets/accounts/x/123): no "/", no "." alone, no space
_URL_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def account_group(platform: str) -> str:
    return f"{ACCOUNTS_PREFIX}_{platform}"


def account_key_part(account_id: str) -> str:
    """The account id as the last part of its asset key: itself when it is URL-safe (every id
    the platforms document: numbers, YouTube channel ids, TikTok usernames), else a readable
    slug plus a hash of the id, so that two ids never share a key."""
    if _URL_SAFE.fullmatch(account_id) and len(account_id) <= 100:
        return account_id
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", account_id).strip("_")[:40] or "id"
    return f"{slug}_{hashlib.sha256(account_id.encode()).hexdigest()[:10]}"


def account_key(platform: str, account_id: str) -> dg.AssetKey:
    return dg.AssetKey([ACCOUNTS_PREFIX, platform, account_key_part(account_id)])


def platform_key(platform: str) -> dg.AssetKey:
    return dg.AssetKey([PLATFORMS_PREFIX, platform])


PLATFORM_KEYS = {p: platform_key(p) for p in PLATFORMS}


# --------------------------------------------------------------------------- the registry in use


def registry_in_use_dir(home: Path | None = None) -> Path:
    return (home or gsm_home()) / "registry"


def keep_in_use(registry_path: Path, editions_path: Path, home: Path | None = None) -> Path:
    """Copies the registry and editions files the `registry` asset just loaded into GSM_HOME,
    byte for byte (their sha256 stays the one in registry.files), each written aside and
    renamed: a crash leaves the previous copy whole."""
    folder = registry_in_use_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    for source, name in ((registry_path, "registry.yaml"), (editions_path, "editions.yaml")):
        part = folder / f".{name}.part"
        part.write_bytes(Path(source).read_bytes())
        os.replace(part, folder / name)
    return folder


@dataclass(frozen=True)
class InUse:
    registry: Registry
    editions: Editions
    registry_path: Path
    editions_path: Path
    origin: str  # in words, for descriptions


def registry_in_use(home: Path | None = None) -> InUse:
    """The registry and editions the `registry` asset last loaded in this GSM_HOME, else the
    shipped defaults. Both were validated when copied; a copy that no longer loads (edited by
    hand) fails the definitions loudly, naming the file, rather than showing the wrong accounts."""
    folder = registry_in_use_dir(home)
    registry_path, editions_path = folder / "registry.yaml", folder / "editions.yaml"
    if registry_path.exists() and editions_path.exists():
        origin = f"the registry last loaded by the `registry` asset (copy in {folder})"
    else:
        registry_path, editions_path = DEFAULT_REGISTRY, DEFAULT_EDITIONS
        origin = "the shipped default registry (no `registry` materialization in this GSM_HOME yet)"
    return InUse(load_registry(registry_path), load_editions(editions_path), registry_path, editions_path, origin)


# --------------------------------------------------------------------------- the accounts


@dataclass(frozen=True)
class RegisteredAccount:
    platform: str
    account_id: str
    handle: str | None
    institution_id: str
    institution_name: str
    cluster: str
    leader: str | None  # the leader's name for a leader account (never scored), else None
    lifecycle: tuple[LifecycleEvent, ...]  # the account's own events
    institution_lifecycle: tuple[LifecycleEvent, ...]

    @property
    def key(self) -> dg.AssetKey:
        return account_key(self.platform, self.account_id)

    @property
    def label(self) -> str:
        """`@handle` when the registry gives one, else the id."""
        return f"@{self.handle}" if self.handle else self.account_id


def registered_accounts(registry: Registry) -> list[RegisteredAccount]:
    """Every account of the registry once, institutions' accounts first (an account listed both
    for an institution and for one of its leaders is the institution's: it is scored)."""
    found: dict[dg.AssetKey, RegisteredAccount] = {}
    for inst in registry.institutions:
        owned: list[tuple[Account, str | None]] = [(a, None) for a in inst.accounts]
        owned += [(a, leader.name) for leader in inst.leaders for a in leader.accounts]
        for acc, leader in owned:
            account = RegisteredAccount(
                acc.platform,
                acc.account_id,
                acc.handle,
                inst.id,
                inst.name,
                inst.cluster,
                leader,
                acc.lifecycle,
                inst.lifecycle,
            )
            if account.key in found and found[account.key].account_id != acc.account_id:
                raise ValueError(
                    f"{acc.platform} account ids {found[account.key].account_id!r} and {acc.account_id!r} "
                    f"map to the same asset key {account.key.to_user_string()}"
                )
            if account.key not in found or (found[account.key].leader and leader is None):
                found[account.key] = account
    return sorted(found.values(), key=lambda a: (PLATFORMS.index(a.platform), a.institution_id, a.account_id))


def feeds(account: RegisteredAccount, editions: Editions) -> list[str]:
    """The editions whose rankings this account's posts count in: an institution account of a
    cluster and platform the edition awards. A leader account feeds none."""
    if account.leader is not None:
        return []
    return [e.id for e in editions.editions if account.cluster in e.clusters and account.platform in e.platforms]


def rankings_partition_url(edition: str) -> str:
    """The UI's page of one partition of `rankings` (its metadata: the institutions table)."""
    return f"/assets/rankings?view=partitions&partition={edition}"


def _events_markdown(events: tuple[LifecycleEvent, ...], whose: str) -> list[str]:
    rows = []
    for ev in events:
        detail = "; ".join(
            x
            for x in (
                f"into {ev.into}" if ev.into else "",
                f"previously {ev.previous_name}" if ev.previous_name else "",
                ev.note or "",
            )
            if x
        )
        rows.append(f"| {ev.date} | {whose} | {ev.event} | {_cell(detail)} |")
    return rows


def _cell(text: str) -> str:
    """Text inside a markdown table cell: no pipe, no newline, no HTML tag."""
    return text.replace("|", "/").replace("\n", " ").replace("<", "(").replace(">", ")")


def lifecycle_markdown(account: RegisteredAccount) -> str:
    rows = _events_markdown(account.lifecycle, "account") + _events_markdown(
        account.institution_lifecycle, "institution"
    )
    if not rows:
        return "No lifecycle event in the registry (neither the account nor its institution)."
    return "| date | of | event | detail |\n|---|---|---|---|\n" + "\n".join(rows)


def account_spec(account: RegisteredAccount, editions: Editions, registry_sha256: str) -> dg.AssetSpec:
    name = PLATFORM_NAMES[account.platform]
    fed = feeds(account, editions)
    if account.leader is not None:
        role = f"leader account of {account.leader} (never scored)"
        feeds_md = "No ranking: leader accounts are tracked, never scored."
    else:
        role = "institution account (scored for the institution)"
        feeds_md = (
            "\n".join(f"- [rankings, edition {e}]({rankings_partition_url(e)})" for e in fed)
            or f"No edition of the editions file awards cluster {account.cluster} on {name}."
        )
    description = (
        f"{name} account {account.label} (id {account.account_id}) of {account.institution_name} "
        f"({account.institution_id}), cluster {account.cluster}: {role}. Its pages land in raw/{account.platform}; "
        "each cleaning run of its fetch months records what it held (posts, follower snapshots, quarantined "
        "records, last fetch time) as an observation of this asset."
    )
    return dg.AssetSpec(
        account.key,
        group_name=account_group(account.platform),
        kinds={account.platform},
        description=description,
        tags={"institution": account.institution_id, "cluster": account.cluster},
        metadata={
            "account_id": account.account_id,
            "platform": account.platform,
            "handle": account.handle or "(none in the registry)",
            "institution": f"{account.institution_name} ({account.institution_id})",
            "cluster": account.cluster,
            "role": role,
            "lifecycle": dg.MetadataValue.md(lifecycle_markdown(account)),
            "feeds": dg.MetadataValue.md(feeds_md),
            "registry_sha256": registry_sha256,
        },
    )


def platform_spec(platform: str, accounts: list[RegisteredAccount], in_use: InUse) -> dg.AssetSpec:
    name = PLATFORM_NAMES[platform]
    mine = [a for a in accounts if a.platform == platform]
    return dg.AssetSpec(
        platform_key(platform),
        group_name=account_group(platform),
        kinds={platform},
        deps=[a.key for a in mine],
        description=f"{name} as the external system: the public pages of the {len(mine)} registered {name} "
        f"accounts (upstream), pulled by the api source or recorded as files, land in raw/{platform}. "
        f"Accounts from {in_use.origin}.",
        metadata={"accounts": len(mine), "registry": str(in_use.registry_path)},
    )


def account_specs(in_use: InUse | None = None) -> list[dg.AssetSpec]:
    """The account assets and the five platform nodes, from the registry in use."""
    in_use = in_use or registry_in_use()
    accounts = registered_accounts(in_use.registry)
    sha = file_sha256(in_use.registry_path)
    return [account_spec(a, in_use.editions, sha) for a in accounts] + [
        platform_spec(p, accounts, in_use) for p in PLATFORMS
    ]


def defined_accounts(context: dg.AssetExecutionContext) -> set[dg.AssetKey]:
    """The account assets of the definitions this run loaded (the job's asset graph holds the
    whole repository's: a run launched by `gsm` has no repository definition on its context)."""
    keys = context.job_def.asset_layer.asset_graph.get_all_asset_keys()
    return {k for k in keys if k.path[0] == ACCOUNTS_PREFIX}
