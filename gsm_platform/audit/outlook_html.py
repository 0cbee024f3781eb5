"""The GSM Outlook as one self-contained HTML page (`gsm outlook`, default format): no JavaScript,
no external CSS, fonts or images; the charts are matplotlib's inline SVG (charts.py). Every text
from the data is escaped. The page carries no generation time: the same warehouse gives the same
bytes. Written to GSM_HOME/reports/<edition>/outlook.html (paths.under_home).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from gsm_platform.audit import charts
from gsm_platform.audit.html_parts import e, num, pct, ratio, table, td, top_posts_table
from gsm_platform.audit.outlook import edition_row, outlook
from gsm_platform.audit.report import CSS
from gsm_platform.paths import under_home, write_text_aside

TOP_EVENTS = 200  # churn events listed one by one; the counts cover them all


def activity_section(activity: list[dict[str, Any]]) -> list[str]:
    rows = [
        [
            td(e(r["cluster"])),
            td(e(r["platform"])),
            td(num(r["accounts_tracked"]), True),
            td(num(r["accounts_active"]), True),
            td(num(r["posts"]), True),
            td(num(r["interactions"]), True),
            td(ratio(r["median_er"]), True),
            td(pct(r["video_share"]), True),
            td(num(r["audience_start"]), True),
            td(num(r["audience_end"]), True),
            td(pct(r["audience_growth"]), True),
        ]
        for r in activity
    ]
    headers = [
        "cluster",
        "platform",
        "accounts tracked",
        "active",
        "posts",
        "interactions",
        "median er",
        "video share",
        "audience at start",
        "audience at end",
        "growth",
    ]
    return [
        "<h2>Activity</h2>",
        "<p>Posts as the award counts them: distinct posts, the chosen snapshot, published in the window. "
        "Active: at least one post in the window. Audience: followers at the first and last snapshot fetched "
        "in the window, summed over the accounts that have one.</p>",
        charts.monthly_trend(activity),
        charts.weekday_hour(activity),
        charts.median_er(activity),
        table(headers, rows),
    ]


def churn_section(churn: list[dict[str, Any]]) -> list[str]:
    counts = Counter((r["event"], r["source"]) for r in churn)
    out = ["<h2>Churn</h2>"]
    if not churn:
        return [*out, "<p>No account or institution event in the window.</p>"]
    out += [
        "<p>From the registry's lifecycle (created, merged, renamed, retired) and observed in the data "
        "(started_posting: no post in the window's first days; went_silent: none in its last days; "
        "handle_changed: the profile names another handle than at the previous pull).</p>",
        charts.churn_counts(churn),
        table(
            ["event", "source", "events"],
            [[td(e(k[0])), td(e(k[1])), td(str(v), True)] for k, v in sorted(counts.items())],
        ),
    ]
    listed = churn[:TOP_EVENTS]
    more = f" (the first {TOP_EVENTS} of {len(churn)})" if len(churn) > TOP_EVENTS else ""
    out.append(f"<h3>Events{more}</h3>")
    out.append(
        table(
            ["date", "event", "source", "cluster", "institution", "platform", "account", "detail"],
            [
                [
                    td(e(r["event_date"])),
                    td(e(r["event"])),
                    td(e(r["source"])),
                    td(e(r["cluster"])),
                    td(f"{e(r.get('institution_name'))} <code>{e(r['institution_id'])}</code>"),
                    td(e(r["platform"])),
                    td(f"<code>{e(r['account_id'])}</code> {e(r.get('handle'))}" if r["account_id"] else ""),
                    td(e(r.get("detail"))),
                ]
                for r in listed
            ],
        )
    )
    return out


def collaboration_section(collaboration: list[dict[str, Any]]) -> list[str]:
    out = [
        "<h2>Posts made with the leader</h2>",
        "<p>Among the institutions with a leader account on the platform: posts made with the leader "
        "(an Instagram collaborative post with the leader, a mention or tag of the leader's account, or the "
        "same media posted by the leader) against the institution's other posts. The interval is a seeded "
        "bootstrap of the difference of the medians: one that does not cross zero is a difference the data "
        "supports.</p>",
        charts.collaboration_effect(collaboration),
    ]
    rows = [
        [
            td(e(r["cluster"])),
            td(e(r["platform"])),
            td(num(r["institutions"]), True),
            td(num(r["collab_posts"]), True),
            td(num(r["other_posts"]), True),
            td(ratio(r["collab_median_er"]), True),
            td(ratio(r["other_median_er"]), True),
            td(ratio(r["median_er_difference"]), True),
            td(f"{r['interval_low']:.4g} .. {r['interval_high']:.4g}" if r["interval_low"] is not None else "", True),
        ]
        for r in collaboration
    ]
    out.append(
        table(
            [
                "cluster",
                "platform",
                "institutions",
                "with leader",
                "others",
                "median er with",
                "median er others",
                "difference",
                "interval",
            ],
            rows,
        )
    )
    return out


def top_posts_section(top_posts: list[dict[str, Any]]) -> list[str]:
    out = ["<h2>Best posts of the nominees</h2>"]
    groups: dict[tuple[str, str], dict[tuple[int, str], list[dict[str, Any]]]] = {}
    for p in top_posts:
        nominee = (p["nominee_rank"], f"{p['institution_name']} ({p['institution_id']})")
        groups.setdefault((p["category"], p["cluster"]), {}).setdefault(nominee, []).append(p)
    for (category, cluster), nominees in groups.items():
        out.append(f"<h3>{e(category)} / {e(cluster)}</h3>")
        for (rank, name), posts in sorted(nominees.items()):
            out.append(f"<p><b>{rank}. {e(name)}</b></p>")
            out.append(top_posts_table(posts))
    return out


def compare_section(data: dict[str, Any]) -> list[str]:
    compare = data["compare"]["edition"]
    change = data["change"]
    rows = [
        [td(e(r["cluster"])), td(e(r["platform"]))]
        + [
            td(ratio(r[f"{m}{suffix}"]) if m == "median_er" else num(r[f"{m}{suffix}"]), True)
            for m in ("accounts_active", "posts", "median_er")
            for suffix in ("_compare", "", "_change")
        ]
        for r in change
    ]
    headers = ["cluster", "platform"] + [
        f"{m} {w}" for m in ("active", "posts", "median er") for w in (compare, data["edition"], "change")
    ]
    churn_then = Counter(r["event"] for r in data["compare"]["churn"])
    churn_now = Counter(r["event"] for r in data["churn"])
    return [
        f"<h2>{e(data['edition'])} against {e(compare)}</h2>",
        charts.compare_posts(change, data["edition"], compare),
        table(headers, rows),
        "<h3>Churn events</h3>",
        table(
            ["event", compare, data["edition"]],
            [
                [td(e(k)), td(str(churn_then[k]), True), td(str(churn_now[k]), True)]
                for k in sorted(churn_then.keys() | churn_now.keys())
            ],
        ),
    ]


def render(data: dict[str, Any], edition: dict[str, Any]) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>GSM Outlook {e(edition['edition_id'])}</title>",
        f"<style>{CSS}svg{{max-width:100%;height:auto}}</style></head><body>",
        f"<h1>GSM Outlook {e(edition['edition_id'])}: {e(edition['name'])}</h1>",
        f"<p>Window {e(edition['start_date'])} to {e(edition['end_date'])} (exclusive, 00:00 WIB). How the "
        "edition's government institutions used social media, from the same posts the award ranks.</p>",
    ]
    out += activity_section(data["activity"])
    out += churn_section(data["churn"])
    out += collaboration_section(data["collaboration"])
    if "compare" in data:
        out += compare_section(data)
    out += top_posts_section(data["top_posts"])
    out.append("<hr><p>Generated by <code>gsm outlook</code> from the warehouse's outlook models.</p></body></html>")
    return "\n".join(out) + "\n"


def write_outlook(conn: duckdb.DuckDBPyConnection, home: Path, edition: str, compare: str | None = None) -> Path:
    data = outlook(conn, edition, compare)
    target = under_home("reports", edition, "outlook.html", home=home)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_aside(target, render(data, edition_row(conn, edition)))
    return target
