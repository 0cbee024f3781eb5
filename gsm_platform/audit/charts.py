"""The GSM Outlook's charts, drawn by matplotlib (pinned in pyproject.toml) and rendered to inline
SVG: the page stays one offline file, and text stays text (searchable, sharp at any zoom).

Byte for byte reproducible: the SVG carries no date (metadata Date None) and matplotlib's ids
come from a fixed hash salt (rcParams svg.hashsalt), so the same outlook gives the same page.
Every chart takes the rows of the outlook models as they are (gsm_platform/audit/outlook.py);
nothing is computed here beyond sums across clusters for a chart's totals.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

import matplotlib

matplotlib.use("svg")  # no GUI backend, ever: gsm runs on servers
import matplotlib.pyplot as plt

PLATFORM_COLORS = {
    "facebook": "#3b5998",
    "instagram": "#c13584",
    "x": "#444444",
    "youtube": "#cc0000",
    "tiktok": "#25a3a8",
}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
STYLE: Any = {  # matplotlib types the keys as literals; Any keeps this one dict
    "svg.hashsalt": "gsm-outlook",
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
}


def color(platform: str) -> str:
    return PLATFORM_COLORS.get(platform, "#888888")


def to_svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg") :]  # inline: no XML declaration or DOCTYPE inside the HTML


def _platform_sums(activity: list[dict[str, Any]], field: str) -> dict[str, list[int]]:
    sums: dict[str, list[int]] = {}
    for row in activity:
        values = row.get(field) or []
        acc = sums.setdefault(row["platform"], [0] * len(values))
        for i, v in enumerate(values):
            acc[i] += v or 0
    return sums


def monthly_trend(activity: list[dict[str, Any]]) -> str:
    """Posts per month of the window, one line per platform (all clusters)."""
    per_platform: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in activity:
        for cell in row.get("posts_by_month") or []:
            per_platform[row["platform"]][cell["month"]] += cell["posts"] or 0
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        months = sorted({m for counts in per_platform.values() for m in counts})
        for platform in sorted(per_platform):
            ax.plot(
                months,
                [per_platform[platform][m] for m in months],
                marker="o",
                ms=3,
                label=platform,
                color=color(platform),
            )
        ax.set_ylabel("posts in the window")
        ax.set_title("Posts per month (WIB), all clusters")
        ax.tick_params(axis="x", rotation=45)
        ax.legend(ncol=5, fontsize=8, frameon=False)
        return to_svg(fig)


def weekday_hour(activity: list[dict[str, Any]]) -> str:
    """When institutions post: a weekday x hour (WIB) heat map of all posts, and posts per hour
    per platform beside it."""
    grid = [[0] * 24 for _ in range(7)]
    for row in activity:
        for d, hours in enumerate(row.get("posts_by_weekday_hour") or []):
            for h, n in enumerate(hours or []):
                grid[d][h] += n or 0
    by_hour = _platform_sums(activity, "posts_by_hour")
    with plt.rc_context(STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2), gridspec_kw={"width_ratios": [3, 2]})
        image = left.imshow(grid, aspect="auto", cmap="Blues")
        left.set_yticks(range(7), WEEKDAYS)
        left.set_xticks(range(0, 24, 3), [f"{h:02d}" for h in range(0, 24, 3)])
        left.set_xlabel("hour of publication (WIB)")
        left.set_title("Posts by weekday and hour")
        left.grid(False)
        fig.colorbar(image, ax=left, label="posts")
        for platform in sorted(by_hour):
            right.plot(range(24), by_hour[platform], label=platform, color=color(platform))
        right.set_xticks(range(0, 24, 3))
        right.set_xlabel("hour (WIB)")
        right.set_title("Posts per hour, by platform")
        right.legend(fontsize=7, frameon=False)
        return to_svg(fig)


def median_er(activity: list[dict[str, Any]]) -> str:
    """Median er per cluster and platform (grouped bars): where posts find their audience."""
    clusters = sorted({r["cluster"] for r in activity})
    platforms = sorted({r["platform"] for r in activity})
    value = {(r["cluster"], r["platform"]): r.get("median_er") for r in activity}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3.2))
        width = 0.8 / max(len(platforms), 1)
        for j, platform in enumerate(platforms):
            xs = [i + (j - (len(platforms) - 1) / 2) * width for i in range(len(clusters))]
            ax.bar(xs, [value.get((c, platform)) or 0 for c in clusters], width, label=platform, color=color(platform))
        ax.set_xticks(range(len(clusters)), clusters)
        ax.set_ylabel("median er (interactions per follower)")
        ax.set_title("Median engagement rate per post, by cluster and platform")
        ax.legend(ncol=5, fontsize=8, frameon=False)
        return to_svg(fig)


def collaboration_effect(collaboration: list[dict[str, Any]]) -> str:
    """The collaboration effect: median er of posts made with the leader minus the others', with
    its bootstrap interval, per cluster and platform (a forest plot: an interval that does not
    cross zero is a difference the data supports)."""
    rows = [r for r in collaboration if r.get("median_er_difference") is not None]
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 0.9 + 0.35 * max(len(rows), 1)))
        if not rows:
            ax.text(
                0.5,
                0.5,
                "no cluster and platform has both collaboration and other posts",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            return to_svg(fig)
        labels = [f"{r['cluster']} · {r['platform']} ({r['collab_posts']} vs {r['other_posts']})" for r in rows]
        ys = list(range(len(rows)))[::-1]
        for y, r in zip(ys, rows, strict=True):
            ax.plot([r["interval_low"], r["interval_high"]], [y, y], color=color(r["platform"]), lw=2)
            ax.plot([r["median_er_difference"]], [y], "o", color=color(r["platform"]))
        ax.axvline(0, color="#999999", lw=1, ls="--")
        ax.set_yticks(ys, labels)
        level = rows[0].get("interval_level") or 0.95
        ax.set_xlabel(f"median er with the leader minus without, {level:.0%} bootstrap interval")
        ax.set_title("The collaboration effect")
        return to_svg(fig)


def churn_counts(churn: list[dict[str, Any]]) -> str:
    """Account and institution events of the window, by kind and source (horizontal bars)."""
    counts: dict[str, int] = defaultdict(int)
    for row in churn:
        counts[f"{row['event']} ({row['source']})"] += 1
    kinds = sorted(counts)
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 0.8 + 0.3 * max(len(kinds), 1)))
        ax.barh(kinds, [counts[k] for k in kinds], color="#4a90d9")
        for y, k in enumerate(kinds):
            ax.text(counts[k], y, f" {counts[k]}", va="center", fontsize=8)
        ax.set_xlabel("events")
        ax.set_title("Churn: events in the window")
        return to_svg(fig)


def compare_posts(change: list[dict[str, Any]], edition: str, compare: str) -> str:
    """Posts per cluster in both editions, side by side (grouped bars)."""
    clusters = sorted({r["cluster"] for r in change})
    now = {c: sum(r["posts"] or 0 for r in change if r["cluster"] == c) for c in clusters}
    then = {c: sum(r["posts_compare"] or 0 for r in change if r["cluster"] == c) for c in clusters}
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(8, 3))
        xs = range(len(clusters))
        ax.bar([x - 0.2 for x in xs], [then[c] for c in clusters], 0.4, label=compare, color="#bbbbbb")
        ax.bar([x + 0.2 for x in xs], [now[c] for c in clusters], 0.4, label=edition, color="#4a90d9")
        ax.set_xticks(list(xs), clusters)
        ax.set_ylabel("posts in the window")
        ax.set_title(f"Posts per cluster: {compare} and {edition}")
        ax.legend(frameon=False)
        return to_svg(fig)
