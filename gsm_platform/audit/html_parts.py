"""HTML pieces shared by the report (`gsm report`) and the outlook (`gsm outlook`): escaping,
plain tables, and the table of a nominee's best posts (the jury packet, rows of
main.outlook_top_posts) that both pages show."""

from __future__ import annotations

import html
from typing import Any


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def ratio(value: Any) -> str:
    """An er (interactions per follower: small fractions) with four significant digits."""
    return "" if value is None else f"{value:.4g}"


def measure(name: str, value: Any) -> str:
    return num(value) if name == "views" else ratio(value)


def pct(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


def table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(rows_cell for rows_cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def td(text: str, numeric: bool = False) -> str:
    return f'<td class="n">{text}</td>' if numeric else f"<td>{text}</td>"


def link(url: Any, text: str) -> str:
    if not url or not str(url).startswith(("https://", "http://")):
        return e(text)
    return f'<a href="{e(url)}" rel="noreferrer">{e(text)}</a>'


def top_posts_table(posts: list[dict[str, Any]]) -> str:
    """The best posts of nominees (rows of outlook_top_posts): link, media kind, the measure."""
    return table(
        ["#", "platform", "post", "published", "media", "measure", "interactions", "views", "er", "with leader"],
        [
            [
                td(str(p["post_rank"]), True),
                td(e(p["platform"])),
                td(link(p.get("permalink"), str(p["post_id"]))),
                td(e(p["published_at"])),
                td(e(p["media_kind"])),
                td(f"{e(p['measure_name'])} {measure(p['measure_name'], p['measure_value'])}"),
                td(num(p["interactions"]), True),
                td(num(p["views"]), True),
                td(ratio(p["er"]), True),
                td("yes" if p.get("is_collaboration") else ""),
            ]
            for p in posts
        ],
    )
