"""`gsm explain`: an auditor's worksheet of one score, from the rankings row down to the landed
files (METHODOLOGY.md "What every score carries for an auditor"; docs/audit.md).

Everything is read from the warehouse (`main.rankings`, `main.score_components`,
`main.int_posts_scored`, `clean.landed_files`, `registry.*`); the landed files are re-hashed on
disk and compared with the sha256 recorded at landing, so a worksheet can only be printed for
data that is still what was scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from gsm_platform.registry import RegistryError, file_sha256
from gsm_platform.vocabulary import CATEGORIES, PLATFORMS

SUM_TOLERANCE = 1e-9
COMPONENT_FIELDS = (
    "platform",
    "category",
    "measure",
    "weight",
    "score",
    "raw_value",
    "account_ids",
    "posts_counted",
    "posts_excluded",
    "exclusion_reasons",
)
EXPLAIN_FIELDS = (
    "edition",
    "category",
    "institution_id",
    "cluster",
    "rank",
    "score",
    "nominee",
    "methodology_version",
    "components",
    "sources",
)

# which of an institution's scored posts a category counts (int_platform_scores.posts_counted):
# most_active every post in the window, the engagement categories the posts (of their media
# kind) with an er; best_account is made of the four, so every post in the window.
COUNTED_POSTS = {
    "most_active": "TRUE",
    "most_engaging": "er IS NOT NULL",
    "best_use_of_image": "media_kind = 'image' AND er IS NOT NULL",
    "best_use_of_video": "media_kind = 'video' AND er IS NOT NULL",
    "best_account": "TRUE",
}


class SourceIntegrityError(RegistryError):
    """A landed file no longer has the sha256 recorded when it was landed (or is gone)."""


def parse_labels(text: str | None) -> dict[str, int]:
    """'interactions_hidden:3;unknown_audience:1' -> {'interactions_hidden': 3, 'unknown_audience': 1}."""
    out: dict[str, int] = {}
    for part in (text or "").split(";"):
        if part.strip():
            label, _, count = part.rpartition(":")
            out[label] = int(count)
    return out


def weighted_sum(components: list[dict[str, Any]]) -> float:
    return sum(c["weight"] * c["score"] for c in components)


def _known(conn: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[str]:
    return [r[0] for r in conn.execute(sql, params).fetchall()]


def _ranking_row(
    conn: duckdb.DuckDBPyConnection, edition: str, category: str, institution: str, cluster: str | None
) -> tuple:
    editions = _known(conn, "SELECT edition_id FROM registry.editions ORDER BY edition_id", [])
    if edition not in editions:
        raise RegistryError(
            f"edition {edition!r} is not in the warehouse's registry (known: {', '.join(editions) or 'none'})"
        )
    if category not in CATEGORIES:
        raise RegistryError(f"unknown category {category!r} (one of: {', '.join(CATEGORIES)})")
    rows = conn.execute(
        """SELECT cluster, rank, score, nominee, methodology_version, institution_name,
                  (SELECT count(*) FROM main.rankings o WHERE o.edition_id = r.edition_id
                     AND o.category = r.category AND o.cluster = r.cluster) AS ranked
           FROM main.rankings r WHERE edition_id = ? AND category = ? AND institution_id = ?""",
        [edition, category, institution],
    ).fetchall()
    if not rows:
        registered = _known(
            conn, "SELECT institution_id FROM registry.institutions WHERE institution_id = ?", [institution]
        )
        if not registered:
            raise RegistryError(f"institution {institution!r} is not in the registry used for edition {edition}")
        raise RegistryError(
            f"institution {institution!r} is not ranked in edition {edition} category {category} "
            "(its cluster is not awarded, or it has no post in the window)"
        )
    row = rows[0]
    if cluster is not None and cluster != row[0]:
        raise RegistryError(f"institution {institution!r} is ranked in cluster {row[0]!r}, not {cluster!r}")
    return row


def components_of(conn: duckdb.DuckDBPyConnection, edition: str, category: str, institution: str) -> list[dict]:
    rows = conn.execute(
        """SELECT component_kind, component, raw_measure_name, weight, score, raw_value, account_ids,
                  posts_counted, posts_excluded, exclusion_reasons, secondary_measure_name, secondary_raw_value
           FROM main.score_components WHERE edition_id = ? AND category = ? AND institution_id = ?
           ORDER BY component_kind, component""",
        [edition, category, institution],
    ).fetchall()
    out = []
    for kind, comp, measure, weight, score, raw, accounts, counted, excluded, reasons, measure2, raw2 in rows:
        out.append(
            {
                "platform": comp if kind == "platform" else None,
                "category": comp if kind == "category" else None,
                "measure": measure,
                "weight": float(weight),
                "score": float(score),
                "raw_value": None if raw is None else float(raw),
                "account_ids": [a for a in (accounts or "").split(",") if a],
                "posts_counted": int(counted or 0),
                "posts_excluded": int(excluded or 0),
                "exclusion_reasons": parse_labels(reasons),
                # text form only (the JSON keys are a contract): the reach measure of best_use_of_video
                "_secondary": (measure2, None if raw2 is None else float(raw2)) if measure2 else None,
            }
        )
    order = {name: i for i, name in enumerate((*PLATFORMS, *CATEGORIES))}
    return sorted(out, key=lambda c: order.get(c["platform"] or c["category"], len(order)))


def sources_of(conn: duckdb.DuckDBPyConnection, edition: str, category: str, institution: str) -> list[dict]:
    """The landed files the institution's counted posts of the category came from."""
    rows = conn.execute(
        f"""SELECT p.source_file, l.sha256, count(*) AS records
            FROM main.int_posts_scored p LEFT JOIN clean.landed_files l ON l.path = p.source_file
            WHERE p.edition_id = ? AND p.institution_id = ? AND ({COUNTED_POSTS[category]})
            GROUP BY p.source_file, l.sha256 ORDER BY p.source_file""",
        [edition, institution],
    ).fetchall()
    return [{"path": r[0], "sha256": r[1], "records": int(r[2])} for r in rows]


def verify_sources(home: Path, sources: list[dict]) -> None:
    """Re-hash every source file under GSM_HOME; raise naming every file that does not match."""
    bad = []
    for s in sources:
        path = Path(s["path"]) if Path(s["path"]).is_absolute() else home / s["path"]
        if s["sha256"] is None:
            bad.append(f"{path}: not recorded in clean.landed_files")
        elif not path.is_file():
            bad.append(f"{path}: missing (recorded sha256 {s['sha256']})")
        else:
            actual = file_sha256(path)
            if actual != s["sha256"]:
                bad.append(f"{path}: sha256 {actual} does not match {s['sha256']} recorded at landing")
    if bad:
        raise SourceIntegrityError(
            f"{len(bad)} landed file(s) changed since landing; the score cannot be "
            "traced to the data it was computed from:\n  " + "\n  ".join(bad)
        )


def explain(
    conn: duckdb.DuckDBPyConnection,
    home: Path,
    edition: str,
    category: str,
    institution: str,
    cluster: str | None = None,
    verify: bool = True,
) -> dict[str, Any]:
    """The worksheet as a dict (keys: EXPLAIN_FIELDS; extra keys start with '_', for the text form)."""
    cluster_, rank, score, nominee, version, name, ranked = _ranking_row(conn, edition, category, institution, cluster)
    components = components_of(conn, edition, category, institution)
    sources = sources_of(conn, edition, category, institution)
    if verify:
        verify_sources(home, sources)
    files = conn.execute("SELECT kind, path, sha256 FROM registry.files ORDER BY kind").fetchall()
    return {
        "edition": edition,
        "category": category,
        "institution_id": institution,
        "cluster": cluster_,
        "rank": int(rank),
        "score": float(score),
        "nominee": bool(nominee),
        "methodology_version": version,
        "components": components,
        "sources": sources,
        "_institution_name": name,
        "_ranked": int(ranked),
        "_inputs": [{"kind": k, "path": p, "sha256": h} for k, p, h in files],
        "_verified": verify,
    }


def to_json(worksheet: dict[str, Any]) -> str:
    out = {k: worksheet[k] for k in EXPLAIN_FIELDS}
    out["components"] = [{k: c[k] for k in COMPONENT_FIELDS} for c in worksheet["components"]]
    return json.dumps(out, ensure_ascii=False, indent=1)


def _num(v: float | None, digits: int = 6) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def to_text(w: dict[str, Any]) -> str:
    comps = w["components"]
    per_category = any(c["category"] for c in comps)
    total = weighted_sum(comps)
    diff = total - w["score"]
    lines = [
        f"GSM Award {w['edition']} - audit worksheet",
        "=" * 72,
        f"institution   {w['_institution_name']} ({w['institution_id']})",
        f"cluster       {w['cluster']}",
        f"category      {w['category']}",
        f"rank          {w['rank']} of {w['_ranked']}" + ("   NOMINEE" if w["nominee"] else ""),
        f"score         {w['score']!r}",
        f"methodology   {w['methodology_version']}",
    ]
    for f in w["_inputs"]:
        lines.append(f"  {f['kind']:<12}{f['sha256']}  {f['path']}")
    lines += [
        "",
        f"Components (score = sum of weight x component score, one per {'category' if per_category else 'platform'})",
    ]
    head = (
        f"  {'component':<18}{'measure':<20}{'raw value':>14}{'score':>12}{'weight':>9}{'w x score':>12}"
        f"{'counted':>9}{'excluded':>9}"
    )
    lines += [head, "  " + "-" * (len(head) - 2)]
    for c in comps:
        lines.append(
            f"  {c['platform'] or c['category']:<18}{c['measure'] or '-':<20}{_num(c['raw_value']):>14}"
            f"{_num(c['score'], 4):>12}{_num(c['weight'], 4):>9}{_num(c['weight'] * c['score'], 4):>12}"
            f"{c['posts_counted']:>9}{c['posts_excluded']:>9}"
        )
        if c.get("_secondary"):
            name, value = c["_secondary"]
            lines.append(f"  {'':<18}{name:<20}{_num(value):>14}")
    lines += [
        "  " + "-" * (len(head) - 2),
        f"  weighted sum {total!r} = score {w['score']!r}"
        + (" (ok)" if abs(diff) <= SUM_TOLERANCE else f"  MISMATCH by {diff:.3e}"),
    ]
    lines += ["", "Accounts"]
    for c in comps:
        lines.append(f"  {c['platform'] or c['category']:<18}{', '.join(c['account_ids']) or '(none)'}")
    lines += ["", "Posts left out (no er), by reason"]
    excluded = [c for c in comps if c["posts_excluded"]]
    for c in excluded:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(c["exclusion_reasons"].items()))
        lines.append(f"  {c['platform'] or c['category']:<18}{c['posts_excluded']:>6}  {reasons}")
    if not excluded:
        lines.append("  none")
    records = sum(s["records"] for s in w["sources"])
    mark = "verified" if w["_verified"] else "not checked"
    lines += [
        "",
        f"Source files: {len(w['sources'])} landed file(s), {records} counted post snapshot(s); "
        f"sha256 re-computed on disk: {mark}",
    ]
    lines.append(f"  {'sha256':<64}  {'records':>7}  {'check':<8}  path")
    for s in w["sources"]:
        lines.append(
            f"  {s['sha256'] or '?':<64}  {s['records']:>7}  {mark if w['_verified'] else '-':<8}  {s['path']}"
        )
    return "\n".join(lines)
