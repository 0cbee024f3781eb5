"""Jury decisions: recorded input beside the computed ranking, never an edit of it
(METHODOLOGY.md "nominees"; docs/audit.md "Jury decisions").

One YAML (JSON is valid YAML) per edition, by default GSM_HOME/jury/<edition>.yaml:

    edition: "2025"
    panel:
      - name: Dr. A. Example
        affiliation: Universitas Contoh      # optional
    decisions:
      - {category: most_active, cluster: kementerian, winner: kemenkeu, reason: "..."}

Validated by pydantic against the computed rankings of the warehouse: the category and the
cluster must exist in the edition, the winner must be a nominee of that category and cluster,
one decision per (category, cluster). Errors name the file, the entry and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from gsm_platform.paths import under_home
from gsm_platform.registry import RegistryError, Strict, _read_yaml
from gsm_platform.vocabulary import CATEGORIES


class Juror(Strict):
    name: str = Field(min_length=1)
    affiliation: str | None = None


class Decision(Strict):
    category: str
    cluster: str
    winner: str = Field(min_length=1)
    reason: str = Field(min_length=1)

    @field_validator("category")
    @classmethod
    def _category(cls, v: str) -> str:
        if v not in CATEGORIES:
            raise ValueError(f"unknown category {v!r} (one of: {', '.join(CATEGORIES)})")
        return v

    @field_validator("cluster")
    @classmethod
    def _cluster(cls, v: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        clusters = ctx.get("clusters")
        if clusters is not None and v not in clusters:
            raise ValueError(
                f"cluster {v!r} is not ranked in edition {ctx.get('edition')} "
                f"(ranked: {', '.join(sorted(clusters)) or 'none'})"
            )
        return v

    @field_validator("winner", mode="before")
    @classmethod
    def _winner_as_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("winner")
    @classmethod
    def _winner(cls, v: str, info: ValidationInfo) -> str:
        ctx = info.context or {}
        nominees = ctx.get("nominees")
        category, cluster = info.data.get("category"), info.data.get("cluster")
        if nominees is None or category is None or cluster is None:
            return v  # no rankings to check against, or category/cluster already reported
        allowed = nominees.get((category, cluster), [])
        if v not in allowed:
            raise ValueError(
                f"{v!r} is not a nominee of {category}/{cluster} in edition {ctx.get('edition')} "
                f"(nominees: {', '.join(allowed) or 'none'})"
            )
        return v

    @model_validator(mode="after")
    def _once(self, info: ValidationInfo) -> Decision:
        seen = (info.context or {}).get("_seen")
        if seen is not None:
            key = (self.category, self.cluster)
            if key in seen:
                raise ValueError(
                    f"repeats an earlier decision on {self.category}/{self.cluster}: "
                    "one decision per (category, cluster)"
                )
            seen.add(key)
        return self


class JuryFile(Strict):
    edition: str
    panel: tuple[Juror, ...] = Field(min_length=1)
    decisions: tuple[Decision, ...] = ()

    @field_validator("edition", mode="before")
    @classmethod
    def _edition_as_text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("edition")
    @classmethod
    def _edition(cls, v: str, info: ValidationInfo) -> str:
        expected = (info.context or {}).get("edition")
        if expected is not None and v != expected:
            raise ValueError(f"the file is for edition {v!r}, not {expected!r}")
        return v

    @field_validator("panel", mode="before")
    @classmethod
    def _names(cls, v: object) -> object:
        # a juror may be given by name alone
        return [{"name": j} if isinstance(j, str) else j for j in v] if isinstance(v, list) else v

    @model_validator(mode="after")
    def _one_per_group(self) -> JuryFile:
        # also checked per entry (Decision._once, with the other errors); this catches it without a context
        seen: dict[tuple[str, str], int] = {}
        for i, d in enumerate(self.decisions):
            key = (d.category, d.cluster)
            if key in seen:
                raise ValueError(
                    f"decisions[{i}] repeats the decision on {d.category}/{d.cluster} of "
                    f"decisions[{seen[key]}]: one decision per (category, cluster)"
                )
            seen[key] = i
        return self


def rankings_context(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """What decisions are checked against: the ranked clusters and the nominees of the edition."""
    rows = conn.execute(
        """SELECT category, cluster, institution_id, nominee FROM main.rankings WHERE edition_id = ?
           ORDER BY category, cluster, rank""",
        [edition],
    ).fetchall()
    if not rows:
        raise RegistryError(f"edition {edition!r} has no computed rankings in the warehouse")
    nominees: dict[tuple[str, str], list[str]] = {}
    for category, cluster, institution, nominee in rows:
        group = nominees.setdefault((category, cluster), [])
        if nominee:
            group.append(institution)
    return {"edition": edition, "clusters": {c for _, c, _, _ in rows}, "nominees": nominees}


def _describe(path: Path, data: object, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s)"]
    for err in exc.errors():
        loc = list(err["loc"])
        where = "top level"
        if len(loc) >= 2 and loc[0] in ("decisions", "panel") and isinstance(loc[1], int):
            entry = None
            if isinstance(data, dict) and isinstance(data.get(loc[0]), list) and loc[1] < len(data[loc[0]]):
                entry = data[loc[0]][loc[1]]
            where = f"{loc[0]}[{loc[1]}]"
            if loc[0] == "decisions" and isinstance(entry, dict):
                where += f" ({entry.get('category')}/{entry.get('cluster')})"
            loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        got = err.get("input")
        got_s = (
            ""
            if isinstance(got, (dict, list, tuple)) or got is None or err["type"] == "value_error"
            else f" (got {got!r})"
        )
        lines.append(f"  - {where}: field '{field or '-'}': {msg}{got_s}")
    return "\n".join(lines)


def validate_jury(data: object, path: Path | str, context: dict[str, Any] | None) -> JuryFile:
    """Validate parsed YAML; with a context (rankings_context) also against the computed rankings."""
    path = Path(path)
    if not isinstance(data, dict):
        raise RegistryError(f"{path}: expected a mapping with 'edition', 'panel' and 'decisions' at the top level")
    try:
        return JuryFile.model_validate(data, context={**(context or {}), "_seen": set()})
    except ValidationError as exc:
        raise RegistryError(_describe(path, data, exc)) from None


def load_jury(path: Path | str, conn: duckdb.DuckDBPyConnection, edition: str) -> JuryFile:
    path = Path(path)
    return validate_jury(_read_yaml(path), path, rankings_context(conn, edition))


def default_jury_path(home: Path, edition: str) -> Path:
    return under_home("jury", f"{edition}.yaml", home=home)


def format_summary(jury: JuryFile, edition: str) -> str:
    lines = [
        f"jury decisions for edition {edition}: valid ({len(jury.decisions)} decision(s), panel of {len(jury.panel)})"
    ]
    lines += [f"  {d.category}/{d.cluster}: {d.winner} - {d.reason}" for d in jury.decisions]
    return "\n".join(lines)
