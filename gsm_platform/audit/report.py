"""`gsm report`: one static, self-contained HTML file per edition for the jury and auditors
(docs/audit.md). No JavaScript, no external CSS, fonts or images: the charts are inline SVG
drawn here. Every text from the data is escaped. The output carries no generation time, so
the same warehouse gives the same bytes.

Contents: the methodology version and the hashes of the input files; the data volume and
quality (reconciliation, quarantine reasons, checks); the jury's decisions (if any); per
cluster the monthly posting activity and, per category, the ranking with each nominee's
component breakdown (stacked bars of weight x component score).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from gsm_platform.audit.explain import parse_labels
from gsm_platform.audit.html_parts import e, top_posts_table
from gsm_platform.audit.jury import JuryFile, default_jury_path, load_jury
from gsm_platform.paths import under_home, write_text_aside
from gsm_platform.rankings import ranking_rows
from gsm_platform.registry import RegistryError
from gsm_platform.vocabulary import CATEGORIES, PLATFORMS
from gsm_platform.warehouse.rows import one_row

PALETTE = {
    "facebook": "#3b5998",
    "instagram": "#c13584",
    "x": "#444444",
    "youtube": "#cc0000",
    "tiktok": "#25a3a8",
    "most_active": "#1b9e77",
    "most_engaging": "#d95f02",
    "best_use_of_image": "#7570b3",
    "best_use_of_video": "#e7298a",
}
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;color:#222;
padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.85em}
tr.nominee td{background:#fbfbf0}.ok{color:#1a7f37}.bad{color:#b42318;font-weight:bold}
.jury{background:#eef6ff;padding:.5em;border-left:4px solid #4a90d9}
.legend span{display:inline-block;margin-right:1em}
.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
"""


def _color(name: str) -> str:
    return PALETTE.get(name, "#999999")


def stacked_bars_svg(bars: list[tuple[str, list[tuple[str, float]]]], max_total: float = 100.0) -> str:
    """Horizontal stacked bars: [(label, [(component, weight*score), ...])], scaled to max_total."""
    label_w, bar_w, row_h = 260, 560, 22
    height = row_h * len(bars) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_w + bar_w + 70}" height="{height}" '
        f'role="img" aria-label="component breakdown">'
    ]
    for i, (label, segments) in enumerate(bars):
        y = i * row_h + 4
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12">{e(label[:40])}</text>')
        x = float(label_w)
        for component, value in segments:
            w = max(0.0, value) / max_total * bar_w if max_total > 0 else 0.0
            if w > 0:
                parts.append(
                    f'<rect x="{x:.2f}" y="{y}" width="{w:.2f}" height="{row_h - 6}" fill="{_color(component)}">'
                    f"<title>{e(component)}: {value:.4f}</title></rect>"
                )
            x += w
        total = sum(v for _, v in segments)
        parts.append(f'<text x="{x + 4:.2f}" y="{y + 14}" font-size="11">{total:.3f}</text>')
    axis_y = len(bars) * row_h + 8
    for tick in (0, 25, 50, 75, 100):
        tx = label_w + tick / 100 * bar_w
        parts.append(f'<line x1="{tx:.1f}" y1="0" x2="{tx:.1f}" y2="{axis_y}" stroke="#ddd" stroke-width="1"/>')
        parts.append(
            f'<text x="{tx:.1f}" y="{axis_y + 12}" font-size="10" text-anchor="middle">'
            f"{tick * max_total / 100:g}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def monthly_bars_svg(months: list[str], counts: list[int]) -> str:
    """Vertical bars of posts per month."""
    bar, gap, plot_h = 34, 6, 120
    top = max(counts, default=0) or 1
    width = len(months) * (bar + gap) + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{plot_h + 40}" role="img" '
        f'aria-label="posts per month">'
    ]
    for i, (month, n) in enumerate(zip(months, counts, strict=True)):
        h = n / top * plot_h
        x = 40 + i * (bar + gap)
        parts.append(
            f'<rect x="{x}" y="{plot_h - h + 5:.2f}" width="{bar}" height="{h:.2f}" fill="#4a90d9">'
            f"<title>{e(month)}: {n} posts</title></rect>"
        )
        parts.append(f'<text x="{x + bar / 2}" y="{plot_h - h + 2:.2f}" font-size="9" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="{plot_h + 18}" font-size="9" text-anchor="middle">{e(month)}</text>')
    parts.append(f'<line x1="38" y1="{plot_h + 5}" x2="{width}" y2="{plot_h + 5}" stroke="#888"/>')
    parts.append("</svg>")
    return "".join(parts)


def _months(start: dt.date, end: dt.date) -> list[str]:
    out, y, m = [], start.year, start.month
    while dt.date(y, m, 1) < end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def gather(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """Everything the report shows, read from the warehouse."""
    ed = conn.execute(
        "SELECT edition_id, name, start_date, end_date, methodology_version FROM registry.editions "
        "WHERE edition_id = ?",
        [edition],
    ).fetchone()
    if ed is None:
        known = [r[0] for r in conn.execute("SELECT edition_id FROM registry.editions ORDER BY 1").fetchall()]
        raise RegistryError(
            f"edition {edition!r} is not in the warehouse's registry (known: {', '.join(known) or 'none'})"
        )
    rows = ranking_rows(conn, edition)
    if not rows:
        raise RegistryError(
            f"edition {edition!r} has no computed rankings: run `gsm materialize --edition {edition}` first"
        )
    components: dict[tuple[str, str], list[tuple[str, float, float, float, int, int, str]]] = {}
    for cat, inst, comp, weight, score, counted, excluded, reasons in conn.execute(
        """SELECT category, institution_id, component, weight, score, posts_counted, posts_excluded, exclusion_reasons
           FROM main.score_components WHERE edition_id = ? ORDER BY category, institution_id, component""",
        [edition],
    ).fetchall():
        components.setdefault((cat, inst), []).append(
            (
                comp,
                float(weight),
                float(score),
                float(weight) * float(score),
                int(counted or 0),
                int(excluded or 0),
                reasons or "",
            )
        )
    order = {n: i for i, n in enumerate((*PLATFORMS, *CATEGORIES))}
    for comps in components.values():
        comps.sort(key=lambda c: order.get(c[0], len(order)))
    monthly: dict[str, dict[str, int]] = {}
    for cluster, month, n in conn.execute(
        """SELECT cluster, strftime(published_at, '%Y-%m') AS month, count(*) FROM main.int_posts_scored
           WHERE edition_id = ? GROUP BY ALL ORDER BY ALL""",
        [edition],
    ).fetchall():
        monthly.setdefault(cluster, {})[month] = int(n)
    from gsm_platform.audit.quality import quality_report

    quality = quality_report(conn, edition)
    top_posts = jury_packet(conn, edition)
    files = conn.execute("SELECT kind, path, sha256 FROM registry.files ORDER BY kind").fetchall()
    landed = one_row(conn, "SELECT count(*), coalesce(sum(bytes), 0) FROM clean.landed_files", what="the landed files")
    return {
        "edition": ed,
        "rows": rows,
        "components": components,
        "monthly": monthly,
        "quality": quality,
        "files": files,
        "landed": landed,
        "top_posts": top_posts,
    }


def jury_packet(conn: duckdb.DuckDBPyConnection, edition: str) -> dict[tuple[str, str], list[dict[str, Any]]] | None:
    """Each nominee's best posts per category (main.outlook_top_posts, the outlook's model), keyed
    by (category, institution); None when the outlook was never built in this warehouse."""
    from checks.outcome import relation_exists
    from gsm_platform.audit.outlook import records

    if not relation_exists(conn, "main", "outlook_top_posts"):
        return None
    packet: dict[tuple[str, str], list[dict[str, Any]]] = {}
    cur = conn.execute(
        "SELECT * FROM main.outlook_top_posts WHERE edition_id = ? ORDER BY category, institution_id, post_rank",
        [edition],
    )
    for row in records(cur):
        packet.setdefault((row["category"], row["institution_id"]), []).append(row)
    return packet


def render(data: dict[str, Any], jury: JuryFile | None = None) -> str:
    edition_id, name, start, end, version = data["edition"]
    rows, comps = data["rows"], data["components"]
    decisions = {(d.category, d.cluster): d for d in (jury.decisions if jury else ())}
    clusters = sorted({r["cluster"] for r in rows})
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>GSM Award {e(edition_id)} report</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>GSM Award {e(edition_id)}: {e(name)}</h1>",
        f"<p>Window {e(start)} to {e(end)} (exclusive, 00:00 WIB). Methodology version <b>{e(version)}</b>. "
        "The computed ranking is shown as computed; the jury's decisions are recorded beside it "
        "and never change it.</p>",
        "<h2>Inputs and methodology</h2><table><tr><th>file</th><th>path</th><th>sha256</th></tr>",
    ]
    for kind, path, sha in data["files"]:
        out.append(f"<tr><td>{e(kind)}</td><td><code>{e(path)}</code></td><td><code>{e(sha)}</code></td></tr>")
    out.append(
        f"</table><p>The whole landing: {data['landed'][0]} landed raw files ({data['landed'][1]} bytes), "
        "each with its sha256 in <code>clean.landed_files</code>; <code>gsm explain</code> traces any score "
        "to them.</p>"
    )

    q = data["quality"]
    c = q["counts"]

    def state(ledger: dict) -> str:
        return '<span class="ok">balanced</span>' if ledger["balanced"] else '<span class="bad">NOT BALANCED</span>'

    env, posts, profiles = c["envelopes"], c["post_records"], c["profile_records"]
    out += [
        "<h2>Data volume and quality</h2>",
        f"<p>Counted over {e(q['scope'])}.</p><table><tr><th>what</th><th>count</th><th></th></tr>",
        f'<tr><td>envelopes</td><td class="n">{env["indexed"]} indexed</td><td>= {env["parsed"]} parsed + '
        f"{env['quarantined']} quarantined whole: {state(env)}</td></tr>",
        f'<tr><td>post records</td><td class="n">{posts["read"]} read</td><td>= {posts["clean"]} clean + '
        f"{posts['duplicates']} duplicates + {posts['quarantined']} quarantined: {state(posts)}</td></tr>",
        f'<tr><td>profile records (follower counts)</td><td class="n">{profiles["read"]} read</td><td>= '
        f"{profiles['snapshots']} snapshots + {profiles['quarantined']} quarantined: {state(profiles)}</td></tr>",
        "</table>",
    ]
    reasons = Counter((item["kind"], item["reason"]) for item in q["quarantine"])
    out.append("<h3>Quarantined records by reason</h3>")
    if reasons:
        out.append("<table><tr><th>record</th><th>reason</th><th>records</th></tr>")
        out += [
            f'<tr><td>{e(k)}</td><td>{e(r)}</td><td class="n">{v}</td></tr>' for (k, r), v in sorted(reasons.items())
        ]
        out.append("</table>")
    else:
        out.append("<p>none</p>")
    checks = q["checks"]
    failed = [c for c in checks if not c["passed"]]
    out.append(f"<p>Checks: {len(checks) - len(failed)} of {len(checks)} passed.</p>")
    if failed:
        out.append("<table><tr><th>asset</th><th>check</th><th>severity</th><th>description</th></tr>")
        out += [
            f'<tr><td>{e(c["asset"])}</td><td class="bad">{e(c["check"])}</td><td>{e(c["severity"])}</td>'
            f"<td>{e(c['description'])}</td></tr>"
            for c in failed
        ]
        out.append("</table>")

    out.append("<h2>Jury</h2>")
    if jury is None:
        out.append("<p>No jury decisions recorded for this edition.</p>")
    else:
        panel = ", ".join(e(j.name) + (f" ({e(j.affiliation)})" if j.affiliation else "") for j in jury.panel)
        out.append(f"<p>Panel: {panel}. {len(jury.decisions)} decision(s).</p>")

    names = {r["institution_id"]: r["institution_name"] for r in rows}
    months = _months(start, end)
    for cluster in clusters:
        out.append(f'<h2 id="{e(cluster)}">Cluster {e(cluster)}</h2>')
        counts = [data["monthly"].get(cluster, {}).get(m, 0) for m in months]
        out.append(f"<h3>Posting activity ({sum(counts)} posts in the window, per month of publication)</h3>")
        out.append(monthly_bars_svg(months, counts))
        for category in CATEGORIES:
            group = [x for x in rows if x["cluster"] == cluster and x["category"] == category]
            if not group:
                continue
            out.append(f'<h3 id="{e(cluster)}-{e(category)}">{e(category)} / {e(cluster)}</h3>')
            decision = decisions.get((category, cluster))
            if decision:
                out.append(
                    f'<p class="jury">Jury decision: winner <b>{e(names.get(decision.winner, decision.winner))}</b> '
                    f"({e(decision.winner)}). Reason: {e(decision.reason)}</p>"
                )
            out.append(
                "<table><tr><th>rank</th><th>institution</th><th>score</th><th>nominee</th><th>jury</th>"
                "<th>components: weight &times; score</th><th>posts left out</th></tr>"
            )
            for x in group:
                cs = comps.get((category, x["institution_id"]), [])
                detail = "; ".join(f"{e(c[0])} {c[1]:g}&times;{c[2]:.3f}" for c in cs)
                excluded: dict[str, int] = {}
                for c in cs:
                    for k, v in parse_labels(c[6]).items():
                        excluded[k] = excluded.get(k, 0) + v
                left = (
                    ", ".join(f"{e(k)}: {v}" for k, v in sorted(excluded.items())) if category != "best_account" else ""
                )
                won = "winner" if decision and decision.winner == x["institution_id"] else ""
                out.append(
                    f'<tr class="{"nominee" if x["nominee"] else ""}"><td class="n">{x["rank"]}</td>'
                    f"<td>{e(x['institution_name'])} <code>{e(x['institution_id'])}</code></td>"
                    f'<td class="n">{x["score"]:.4f}</td><td>{"yes" if x["nominee"] else ""}</td><td>{won}</td>'
                    f"<td>{detail}</td><td>{left}</td></tr>"
                )
            out.append("</table>")
            nominees = [x for x in group if x["nominee"]]
            if nominees:
                bars = [
                    (
                        f"{x['rank']}. {x['institution_name']}",
                        [(c[0], c[3]) for c in comps.get((category, x["institution_id"]), [])],
                    )
                    for x in nominees
                ]
                used = sorted(
                    {c for _, segs in bars for c, _ in segs},
                    key=lambda n: (*PLATFORMS, *CATEGORIES).index(n) if n in (*PLATFORMS, *CATEGORIES) else 99,
                )
                out.append(
                    '<div class="legend">'
                    + "".join(f'<span><i style="background:{_color(c)}"></i>{e(c)}</span>' for c in used)
                    + "</div>"
                )
                out.append(stacked_bars_svg(bars))
                out += jury_packet_html(data.get("top_posts"), category, nominees, comps)
    out.append(
        "<hr><p>Generated by <code>gsm report</code> from the warehouse; reproduce any score with "
        "<code>gsm explain --edition ID --category C --institution ID</code>.</p></body></html>"
    )
    return "\n".join(out) + "\n"


def jury_packet_html(packet, category: str, nominees: list[dict[str, Any]], comps) -> list[str]:
    """Per nominee: its score components and, beside them, its best posts (link, media kind, the
    category's measure), so that the jury judges the content as well as the numbers."""
    if packet is None:
        return ["<p>No jury packet: the GSM Outlook was not built (<code>gsm materialize</code> builds it).</p>"]
    out = [f'<h4 id="packet-{e(category)}">Jury packet: the nominees\' best posts</h4>']
    for x in nominees:
        cs = comps.get((category, x["institution_id"]), [])
        parts = "; ".join(f"{e(c[0])} {c[2]:.3f} (&times;{c[1]:g})" for c in cs)
        out.append(
            f'<div class="packet"><p><b>{x["rank"]}. {e(x["institution_name"])}</b> score {x["score"]:.4f}; '
            f"components: {parts}</p>"
        )
        posts = packet.get((category, x["institution_id"]), [])
        out.append(top_posts_table(posts) if posts else "<p>no post with the category's measure</p>")
        out.append("</div>")
    return out


def write_report(
    conn: duckdb.DuckDBPyConnection,
    home: Path,
    edition: str,
    out_dir: Path | None = None,
    jury_file: Path | None = None,
) -> Path:
    data = gather(conn, edition)
    if jury_file is None and default_jury_path(home, edition).exists():
        jury_file = default_jury_path(home, edition)
    jury = load_jury(jury_file, conn, edition) if jury_file else None
    out_dir = out_dir or under_home("reports", edition, home=home)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "index.html"
    write_text_aside(target, render(data, jury))
    return target
