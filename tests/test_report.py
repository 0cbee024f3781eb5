"""`gsm report`: one self-contained HTML file, every category and cluster, escaped text,
the jury beside the computed ranking."""

from __future__ import annotations

import datetime as dt
import shutil
from html.parser import HTMLParser
from pathlib import Path

from gsm_platform.audit.jury import validate_jury
from gsm_platform.audit.report import monthly_bars_svg, render, stacked_bars_svg
from gsm_platform.cli import main
from gsm_platform.vocabulary import CATEGORIES

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source", "line", "rect"}
JURY = Path(__file__).parent / "fixtures" / "jury" / "small_2025.yaml"


class Checker(HTMLParser):
    """Well-nested tags, ids collected, nothing loaded from elsewhere."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.external: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k == "id":
                self.ids.add(v)
            # a link the reader follows (a post's permalink) loads nothing; a src or a stylesheet would
            if k == "src" or (k == "href" and tag != "a") or (k == "style" and "url(" in (v or "")):
                self.external.append(f"{tag} {k}={v}")
            if tag == "a" and k == "href":
                self.links.append(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-3:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(text: str) -> Checker:
    checker = Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == [], checker.stack
    return checker


def _data(name: str) -> dict:
    row = {
        "edition": "2025",
        "category": "most_active",
        "cluster": "kementerian",
        "rank": 1,
        "institution_id": "a",
        "institution_name": name,
        "score": 70.0,
        "nominee": True,
        "methodology_version": "v1",
    }
    return {
        "edition": ("2025", "Award <2025>", dt.date(2024, 10, 1), dt.date(2025, 10, 1), "v1"),
        "rows": [row],
        "components": {
            ("most_active", "a"): [("facebook", 0.5, 100.0, 50.0, 10, 1, "x:1"), ("x", 0.5, 40.0, 20.0, 5, 0, "")]
        },
        "monthly": {"kementerian": {"2025-01": 3}},
        "files": [("registry", "/r.yaml", "00" * 32)],
        "landed": (1, 10),
        "quality": {
            "scope": "edition <2025>'s fetch days",
            "counts": {
                "envelopes": {"indexed": 2, "parsed": 2, "quarantined": 0, "balanced": True},
                "post_records": {"read": 5, "clean": 4, "duplicates": 0, "quarantined": 1, "balanced": True},
                "profile_records": {"read": 1, "snapshots": 1, "quarantined": 0, "balanced": True},
            },
            "quarantine": [{"kind": "post", "reason": "bad <json>"}],
            "checks": [],
        },
    }


def test_charts_are_svg():
    svg = stacked_bars_svg([("a <b>", [("facebook", 30.0), ("x", 20.0)])])
    assert svg.startswith("<svg") and "a &lt;b&gt;" in svg
    parse(svg)
    parse(monthly_bars_svg(["2025-01", "2025-02"], [3, 0]))


def test_render_escapes_everything():
    jury = validate_jury(
        {
            "edition": "2025",
            "panel": ["<script>alert(1)</script>"],
            "decisions": [
                {
                    "category": "most_active",
                    "cluster": "kementerian",
                    "winner": "a",
                    "reason": 'because <b>bold</b> & "quoted"',
                }
            ],
        },
        "j.yaml",
        None,
    )
    page = render(_data("<img src=x onerror=alert(1)>"), jury)
    checker = parse(page)
    assert "script" not in checker.tags and "img" not in checker.tags and not checker.external
    text = "".join(checker.text)
    assert "<img src=x onerror=alert(1)>" in text and "because <b>bold</b>" in text and "bad <json>" in text
    assert "2025-01" in page and "Award &lt;2025&gt;" in page and "edition &lt;2025&gt;&#x27;s fetch days" in page


def test_report_of_the_small_edition(small_edition, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GSM_HOME", str(small_edition.home))
    from gsm_platform import rankings
    from gsm_platform.warehouse import connect

    with connect(small_edition.home / "warehouse.duckdb", read_only=True) as conn:
        rows = rankings.ranking_rows(conn, "2025")
    assert main(["report", "--edition", "2025", "--out", str(tmp_path / "r"), "--jury", str(JURY)]) == 0
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    checker = parse(page)
    assert not checker.external and "script" not in checker.tags
    clusters = {r["cluster"] for r in rows}
    assert len(clusters) == 4
    for cluster in clusters:
        assert cluster in checker.ids
        for category in CATEGORIES:
            assert f"{cluster}-{category}" in checker.ids
    text = " ".join(checker.text)
    assert "Jury decision: winner" in text and "Rank 1 <confirmed> & fine" in text
    assert "balanced" in text and "quarantined" in text
    assert "methodology" in text and all(r["institution_id"] in page for r in rows if r["nominee"])
    assert page.count("<svg") >= len(clusters) * (1 + len(CATEGORIES)) - 4
    # the jury packet: each nominee's best posts, linked, beside its score components
    assert text.count("Jury packet") == sum(
        1
        for c in clusters
        for k in CATEGORIES
        if any(r["nominee"] and r["cluster"] == c and r["category"] == k for r in rows)
    )
    nominees = {(r["category"], r["institution_id"]) for r in rows if r["nominee"]}
    with connect(small_edition.home / "warehouse.duckdb", read_only=True) as conn:
        top = conn.execute(
            "SELECT category, institution_id, permalink FROM main.outlook_top_posts WHERE edition_id = '2025'"
        ).fetchall()
    assert {(c, i) for c, i, _ in top} <= nominees and len({(c, i) for c, i, _ in top}) > 0.8 * len(nominees)
    assert {link for _, _, link in top} <= set(checker.links)
    assert all(link.startswith("https://") for link in checker.links)
    # the same warehouse gives the same bytes; the default place is GSM_HOME/reports/<edition>/
    home = tmp_path / "home"
    # landing and exports come along: the report runs the checks, which look at them
    shutil.copytree(small_edition.home, home, ignore=shutil.ignore_patterns("dagster", "logs", "reports"))
    monkeypatch.setenv("GSM_HOME", str(home))
    (home / "jury").mkdir()
    shutil.copy(JURY, home / "jury" / "2025.yaml")
    assert main(["report", "--edition", "2025"]) == 0
    assert (home / "reports" / "2025" / "index.html").read_text(encoding="utf-8") == page
    assert main(["report", "--edition", "1999"]) == 2
    assert "edition '1999'" in capsys.readouterr().err
