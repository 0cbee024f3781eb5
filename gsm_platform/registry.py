"""The registry (who is tracked) and the editions (what is awarded), as validated YAML.

The keys are the contract of RAW_FORMAT.md ("Registry and editions files"); extra optional
keys (leader accounts, lifecycle) are accepted. Every validation error names the file, the
entry (by its index and id) and the field, so the person who edits the YAML can fix it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gsm_platform.vocabulary import Cluster, Platform


class RegistryError(ValueError):
    """A registry or editions file that cannot be used; the message says where and why."""


# An edition id names a Dagster partition (no "...", no control characters) and folders under
# GSM_HOME (exports/<id>/, reports/<id>/, jury/<id>.yaml): a slug, bounded in length.
EDITION_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
EDITION_ID_MAX = 64
EDITION_ID_RULE = (
    f"an edition id is 1 to {EDITION_ID_MAX} letters, digits, '-' or '_', starting with a letter "
    "or digit (it names a Dagster partition and folders under GSM_HOME)"
)


def shown(value: object, limit: int = 60) -> str:
    """A value as an error message shows it: repr (a newline stays visible), cut to limit."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(str(value))} characters)"


def check_edition_id(value: str) -> str:
    """The id if it is a valid edition id, else ValueError saying what one is."""
    if not (isinstance(value, str) and len(value) <= EDITION_ID_MAX and EDITION_ID_PATTERN.fullmatch(value)):
        raise ValueError(EDITION_ID_RULE)
    return value


class Strict(BaseModel):
    """The base of every model read from a file people edit (registry, editions, methodology,
    jury decisions): an unknown key is an error (a typo never passes as a default), and a
    loaded model cannot be changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LifecycleEvent(Strict):
    """Something that happened to an institution or account (the 2024 cabinet created,
    merged and rebranded ministries). Informational for scoring: posts always count for
    the institution that owns the account in this registry; see docs/methodology.md."""

    date: dt.date
    event: Literal["created", "merged", "renamed", "rebranded", "retired"]
    into: str | None = None  # merged: the institution id that took it over
    previous_name: str | None = None  # renamed/rebranded: the old name or handle
    note: str | None = None

    @model_validator(mode="after")
    def _merged_has_target(self) -> LifecycleEvent:
        if self.event == "merged" and not self.into:
            raise ValueError("a 'merged' event needs 'into' (the institution id that took it over)")
        return self


class Account(Strict):
    platform: Platform
    account_id: str = Field(min_length=1)
    handle: str | None = None
    lifecycle: tuple[LifecycleEvent, ...] = ()

    @field_validator("account_id", mode="before")
    @classmethod
    def _id_as_text(cls, v: object) -> object:
        # YAML reads unquoted numeric ids as int; the platform's id is text, keep it so.
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v


class Leader(Strict):
    name: str
    title: str | None = None
    accounts: tuple[Account, ...] = ()


class Institution(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1)
    cluster: Cluster
    accounts: tuple[Account, ...] = ()
    leaders: tuple[Leader, ...] = ()
    lifecycle: tuple[LifecycleEvent, ...] = ()


class Registry(Strict):
    institutions: tuple[Institution, ...]
    version: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        seen: dict[str, int] = {}
        owner: dict[tuple[str, str], str] = {}
        for i, inst in enumerate(self.institutions):
            if inst.id in seen:
                raise ValueError(f"institutions[{i}] ({inst.id}): id duplicates institutions[{seen[inst.id]}]")
            seen[inst.id] = i
            for acc in inst.accounts:
                key = (acc.platform, acc.account_id)
                if key in owner and owner[key] != inst.id:
                    raise ValueError(
                        f"institutions[{i}] ({inst.id}): {acc.platform} account_id {acc.account_id!r} "
                        f"is already claimed by institution {owner[key]!r}; an account belongs to one institution"
                    )
                owner[key] = inst.id
        ids = set(seen)
        for i, inst in enumerate(self.institutions):
            for ev in inst.lifecycle + tuple(e for a in inst.accounts for e in a.lifecycle):
                if ev.into and ev.into not in ids:
                    raise ValueError(
                        f"institutions[{i}] ({inst.id}): lifecycle 'into' {ev.into!r} is not an institution id"
                    )
        return self

    def institution(self, institution_id: str) -> Institution:
        for inst in self.institutions:
            if inst.id == institution_id:
                return inst
        raise KeyError(institution_id)


class Edition(Strict):
    id: str  # check_edition_id
    name: str | None = None
    start: dt.date
    end: dt.date
    clusters: tuple[Cluster, ...] = Field(min_length=1)
    platforms: tuple[Platform, ...] = Field(min_length=1)
    methodology: str = "v1"

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("id")
    @classmethod
    def _id_is_a_slug(cls, v: str) -> str:
        return check_edition_id(v)

    @model_validator(mode="after")
    def _window(self) -> Edition:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start}): the window is [start, end)")
        return self


class Editions(Strict):
    editions: tuple[Edition, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Editions:
        seen: set[str] = set()
        for i, ed in enumerate(self.editions):
            if ed.id in seen:
                raise ValueError(f"editions[{i}] ({ed.id}): id is not unique")
            seen.add(ed.id)
        return self

    def get(self, edition_id: str) -> Edition:
        for ed in self.editions:
            if ed.id == edition_id:
                return ed
        known = ", ".join(e.id for e in self.editions)
        raise RegistryError(f"edition {shown(edition_id)} is not in the editions file (known: {known})")

    def latest(self) -> Edition:
        return max(self.editions, key=lambda e: (e.end, e.id))


def _read_yaml(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        # libyaml's loader when present: the same result, 7x faster on the 166 KB default registry
        # (0.2 s instead of 1.4 s), which every definitions load reads (assets/accounts.py)
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise RegistryError(f"{path}: {where}: not valid YAML/JSON: {getattr(exc, 'problem', exc)}") from exc


def _describe(path: Path, data: object, exc: ValidationError, list_key: str) -> str:
    errors = exc.errors()
    if any(len(e["loc"]) > 1 and e["loc"][0] == list_key for e in errors):
        # a list whose only entry is invalid is also "too short" after validation: one problem, not two
        errors = [e for e in errors if not (tuple(e["loc"]) == (list_key,) and e["type"] == "too_short")]
    lines = [f"{path}: {len(errors)} problem(s)"]
    for err in errors:
        loc = list(err["loc"])
        where = []
        # name the entry by index and id: "institutions[3] (kemenkeu)"
        if len(loc) >= 2 and loc[0] == list_key and isinstance(loc[1], int):
            entry = None
            if isinstance(data, dict) and isinstance(data.get(list_key), list) and loc[1] < len(data[list_key]):
                entry = data[list_key][loc[1]]
            ident = entry.get("id") if isinstance(entry, dict) else None
            if isinstance(ident, str) and (len(ident) > EDITION_ID_MAX or not EDITION_ID_PATTERN.fullmatch(ident)):
                ident = shown(ident)  # a newline or 5,000 characters would break the message
            where.append(f"{list_key}[{loc[1]}]" + (f" ({ident})" if ident is not None else ""))
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        got_s = "" if isinstance(got, (dict, list)) or got is None else f" (got {shown(got)})"
        lines.append(f"  - {' '.join(where) or 'top level'}: field '{field or '-'}': {msg}{got_s}")
    return "\n".join(lines)


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or "institutions" not in data:
        raise RegistryError(f"{path}: expected a mapping with an 'institutions' list at the top level")
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(_describe(path, data, exc, "institutions")) from None


def load_editions(path: str | Path) -> Editions:
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or "editions" not in data:
        raise RegistryError(f"{path}: expected a mapping with an 'editions' list at the top level")
    try:
        return Editions.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(_describe(path, data, exc, "editions")) from None


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


DATA_DIR = Path(__file__).parent / "data"
DEFAULT_REGISTRY = DATA_DIR / "registry.yaml"
DEFAULT_EDITIONS = DATA_DIR / "editions.yaml"
