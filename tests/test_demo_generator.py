"""The `demo` source: a seeded, deterministic generator of envelopes in the contract's shapes."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from collections import defaultdict
from pathlib import Path

import pytest

from gsm_platform.registry import load_editions, load_registry
from gsm_platform.sources.demo import ACCOUNT_IDS_NOTE, AWARD_RECORDS, generate

FIXTURES = Path(__file__).parent / "fixtures" / "samples"
SCALE = 0.0005  # of the award: ceil(6,036,434 * 0.0005) = 3,019 post records
MAX_INST = 12
PLATFORMS = {"facebook", "instagram", "x", "youtube", "tiktok"}
ENVELOPE_KEYS = ["platform", "kind", "account_id", "fetched_at", "request", "response"]
FETCHED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$")
PUBLISHED = {
    "facebook": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$"),
    "instagram": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$"),
    "x": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$"),
    "youtube": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"),
}


def _envelopes(root: Path) -> list[dict]:
    out = []
    for path in sorted(p for p in (root / "input").rglob("*") if p.is_file()):
        if path.name.endswith(".json"):
            out.append(json.loads(path.read_text()))
            continue
        text = gzip.decompress(path.read_bytes()).decode() if path.name.endswith(".gz") else path.read_text()
        out += [json.loads(line) for line in text.splitlines() if line.strip()]
    return out


def _posts(env: dict) -> list[dict]:
    """The post records of a posts body, wherever the platform puts them."""
    r = env["response"]
    p = env["platform"]
    if p == "instagram" and "business_discovery" in r:
        return r["business_discovery"]["media"]["data"]
    if p == "youtube":
        return r["items"]
    if p == "tiktok":
        return r["data"]["videos"]
    return r["data"]


def _sample(platform: str, kind: str) -> dict:
    return json.loads((FIXTURES / f"{platform}_{kind}.json").read_text())


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def award(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "award"
    report = generate(out, SCALE, max_institutions=MAX_INST)
    return out, report, _envelopes(out)


def test_same_arguments_give_byte_identical_files(award, tmp_path):
    out, report, _ = award
    again = generate(tmp_path / "again", SCALE, max_institutions=MAX_INST)
    assert again == report
    first, second = _hashes(out), _hashes(tmp_path / "again")
    assert first == second and len(first) == report.files
    other = generate(tmp_path / "other_seed", SCALE, seed=7, max_institutions=MAX_INST)
    assert _hashes(tmp_path / "other_seed") != first and other.post_records >= math.ceil(AWARD_RECORDS * SCALE)


def test_registry_and_editions_load_in_the_2020_shape(award):
    out, report, envelopes = award
    reg = load_registry(out / "registry.yaml")
    eds = load_editions(out / "editions.yaml")
    assert ACCOUNT_IDS_NOTE in (out / "registry.yaml").read_text()
    ed = eds.get("2020")
    assert len(eds.editions) == 1 and (str(ed.start), str(ed.end)) == ("2019-10-01", "2020-10-01")
    assert set(ed.clusters) == {"kementerian", "lembaga", "pemprov", "bumn"}
    assert set(ed.platforms) == {"facebook", "instagram", "x", "youtube"}
    assert len(reg.institutions) == report.institutions == MAX_INST
    assert {i.cluster for i in reg.institutions} == set(ed.clusters)
    for inst in reg.institutions:
        assert sorted(a.platform for a in inst.accounts) == sorted(ed.platforms)
    registered = {(a.platform, a.account_id) for i in reg.institutions for a in i.accounts}
    assert {(e["platform"], e["account_id"]) for e in envelopes} == registered


def test_full_award_registry_has_249_institutions_per_cluster(tmp_path):
    from gsm_platform.sources.demo.registry import _award_registry

    text, reg = _award_registry(None)
    counts = defaultdict(int)
    for inst in reg.institutions:
        counts[inst.cluster] += 1
    assert dict(counts) == {"kementerian": 34, "lembaga": 50, "pemprov": 34, "bumn": 131}
    ids = [(a.platform, a.account_id) for i in reg.institutions for a in i.accounts]
    assert len(ids) == 249 * 4 == len(set(ids))
    (tmp_path / "r.yaml").write_text(text)
    assert len(load_registry(tmp_path / "r.yaml").institutions) == 249


def test_envelopes_follow_the_contract(award):
    out, report, envelopes = award
    assert len(envelopes) == report.envelopes
    forms = {p.name.split(".", 1)[1] for p in (out / "input").rglob("*") if p.is_file()}
    assert forms == {"jsonl.gz", "jsonl", "json"}
    for path in (out / "input").rglob("*.gz"):
        with gzip.open(path) as f:
            assert f.read(1)  # readable, and the header carries no time (mtime 0)
        assert path.read_bytes()[4:8] == b"\0\0\0\0"
    for env in envelopes:
        assert list(env) == ENVELOPE_KEYS
        assert env["platform"] in PLATFORMS and env["kind"] in ("posts", "profile")
        assert FETCHED_AT.match(env["fetched_at"]), env["fetched_at"]
        assert set(env["request"]) == {"endpoint", "params"}
        assert not any(re.search("token|secret", k) and "pagination" not in k for k in env["request"]["params"])
        assert "access_token" not in json.dumps(env["request"])


# what the generator adds for the GSM Outlook, with the platforms' documented names: permalinks, and
# the leader named by a post (Facebook message_tags, Instagram collaborators, X entities.mentions,
# TikTok video_mention_list)
OUTLOOK_FIELDS = {
    "facebook": {"permalink_url", "message_tags"},
    "instagram": {"permalink", "collaborators"},
    "x": {"entities"},
    "tiktok": {"video_mention_list"},
}


def test_body_shapes_match_the_samples(award):
    _, _, envelopes = award
    seen = set()
    for env in envelopes:
        p, kind, r = env["platform"], env["kind"], env["response"]
        sample = _sample(p, kind)["response"]
        seen.add((p, kind))
        if kind == "profile":
            if p == "youtube":
                assert set(r) == set(sample) and len(r["items"]) == 1
                assert set(r["items"][0]["statistics"]) <= set(sample["items"][0]["statistics"])
                assert all(
                    isinstance(v, str) for k, v in r["items"][0]["statistics"].items() if k != "hiddenSubscriberCount"
                )
            elif p == "x":
                assert set(r["data"]) == set(sample["data"])
                assert set(r["data"]["public_metrics"]) == set(sample["data"]["public_metrics"])
            else:
                assert set(r) == set(sample)
            continue
        (sample_post,) = _posts(_sample(p, kind))[:1]
        posts = _posts(env)
        assert posts and len(posts) <= (50 if p == "youtube" else 100)
        # the author field of each post: the Business Discovery sample has `username`; the media
        # edge of one's own account returns `owner` instead
        allowed = set(sample_post) | ({"owner"} if p == "instagram" else set()) | OUTLOOK_FIELDS.get(p, set())
        for post in posts:
            assert set(post) <= allowed, (p, set(post) - allowed)
            assert "id" in post
            assert _author(p, post, r) == env["account_id"], p  # as the real API would name it: the guard has work
        if p == "facebook":
            assert set(r) == {"data", "paging"}
            for post in posts:
                assert PUBLISHED[p].match(post["created_time"])
                assert {"reactions", "comments"} <= set(post)
                if "attachments" in post:
                    assert post["attachments"]["data"][0]["media_type"] in {"photo", "album", "video", "link"}
        elif p == "instagram":
            assert set(r) in ({"data", "paging"}, {"business_discovery"})
            if "business_discovery" in r:
                assert isinstance(r["business_discovery"]["followers_count"], int)
            for post in posts:
                assert PUBLISHED[p].match(post["timestamp"])
                assert post["media_type"] in {"IMAGE", "CAROUSEL_ALBUM", "VIDEO"}
                assert post["media_product_type"] in {"FEED", "REELS"}
        elif p == "x":
            assert set(r) <= set(sample) and {"data", "meta"} <= set(r)
            media = {m["media_key"]: m for m in r.get("includes", {}).get("media", [])}
            for post in posts:
                assert PUBLISHED[p].match(post["created_at"])
                assert set(post["public_metrics"]) == set(_posts(_sample(p, kind))[0]["public_metrics"])
                for key in post.get("attachments", {}).get("media_keys", []):
                    m = media[key]
                    assert m["type"] in {"photo", "video", "animated_gif"}
                    assert ("public_metrics" in m) == (m["type"] == "video")
        elif p == "youtube":
            assert set(r) == set(sample)
            assert env["request"]["params"]["id"] == ",".join(post["id"] for post in posts)
            for post in posts:
                assert PUBLISHED[p].match(post["snippet"]["publishedAt"])
                assert all(isinstance(v, str) for v in post["statistics"].values())
                assert post["snippet"]["channelId"] == env["account_id"]
    assert seen == {(p, k) for p in ("facebook", "instagram", "x", "youtube") for k in ("posts", "profile")}


def _author(p: str, post: dict, body: dict) -> str:
    """The account a post names as its author (instagram: the media's owner, else the Business
    Discovery account the page is of)."""
    if p == "instagram":
        return (post.get("owner") or {}).get("id") or body["business_discovery"]["id"]
    return {
        "facebook": lambda: post["from"]["id"],
        "x": lambda: post["author_id"],
        "youtube": lambda: post["snippet"]["channelId"],
    }[p]()


def _published(p: str, post: dict) -> str:
    return {
        "facebook": lambda: post["created_time"][:19],
        "instagram": lambda: post["timestamp"][:19],
        "x": lambda: post["created_at"][:19],
        "youtube": lambda: post["snippet"]["publishedAt"][:19],
    }[p]()


def _interactions(p: str, post: dict) -> int:
    if p == "facebook":
        return post["reactions"]["summary"]["total_count"] + post["comments"]["summary"]["total_count"]
    if p == "instagram":
        return post["comments_count"]
    if p == "x":
        return sum(post["public_metrics"][k] for k in ("like_count", "reply_count", "retweet_count", "quote_count"))
    return int(post["statistics"]["viewCount"])


def test_records_hidden_likes_and_growing_snapshots(award):
    import datetime as dt

    _, report, envelopes = award
    target = math.ceil(AWARD_RECORDS * SCALE)
    records = [(env, post) for env in envelopes if env["kind"] == "posts" for post in _posts(env)]
    assert len(records) == report.post_records >= target
    assert report.profile_records == sum(env["kind"] == "profile" for env in envelopes)

    # hidden likes: instagram like_count 0, youtube without likeCount
    assert any(p["like_count"] == 0 for e, p in records if e["platform"] == "instagram")
    assert any("likeCount" not in p["statistics"] for e, p in records if e["platform"] == "youtube")
    assert any("likeCount" in p["statistics"] for e, p in records if e["platform"] == "youtube")
    assert any("shares" not in p for e, p in records if e["platform"] == "facebook")

    snapshots = defaultdict(list)
    for env, post in records:
        fetched = dt.datetime.fromisoformat(env["fetched_at"])
        published = dt.datetime.fromisoformat(_published(env["platform"], post) + "+00:00")
        assert fetched > published
        snapshots[(env["platform"], env["account_id"], post["id"])].append(
            (fetched, _interactions(env["platform"], post))
        )
    per_post = [len({f for f, _ in s}) for s in snapshots.values()]
    assert max(per_post) >= 4 and sum(n >= 3 for n in per_post) > len(per_post) / 2
    for snaps in snapshots.values():  # counts never shrink from one pull to a later one
        best: dict = {}
        for f, v in snaps:  # two responses of one fetch time: the one with more interactions
            best[f] = max(v, best.get(f, v))
        values = [best[f] for f in sorted(best)]
        assert values == sorted(values)


def test_quick_copies_the_registry_and_covers_only_the_latest_edition(tmp_path):
    reg = tmp_path / "reg.yaml"
    reg.write_text(
        "# a small registry\ninstitutions:\n"
        "  - id: kemenkeu\n    name: Kementerian Keuangan\n    cluster: kementerian\n    accounts:\n"
        '      - {platform: tiktok, account_id: "kemenkeuri"}\n'
        '      - {platform: youtube, account_id: "UCaaaaaaaaaaaaaaaaaaaaaa"}\n'
        '      - {platform: instagram, account_id: "17841400000000001", handle: kemenkeuri}\n'
        "  - id: bumn-a\n    name: BUMN A\n    cluster: bumn\n    accounts:\n"
        '      - {platform: x, account_id: "99"}\n'
    )
    eds = tmp_path / "eds.yaml"
    eds.write_text(
        "editions:\n"
        '  - {id: "2020", start: 2019-10-01, end: 2020-10-01, clusters: [bumn], platforms: [x]}\n'
        '  - {id: "2025", start: 2024-10-01, end: 2025-10-01, clusters: [kementerian], '
        "platforms: [instagram, youtube, tiktok]}\n"
    )
    out = tmp_path / "quick"
    report = generate(out, "quick", registry_path=reg, editions_path=eds, records=3000)
    assert (out / "registry.yaml").read_bytes() == reg.read_bytes()
    assert (out / "editions.yaml").read_bytes() == eds.read_bytes()
    envelopes = _envelopes(out)
    assert report.post_records >= 3000 and report.accounts == 3
    assert {e["platform"] for e in envelopes} == {"instagram", "youtube", "tiktok"}
    assert all("2024-09-15" <= e["fetched_at"][:10] <= "2025-11-30" for e in envelopes)
    tiktok = [e for e in envelopes if e["platform"] == "tiktok" and e["kind"] == "posts"]
    sample = _sample("tiktok", "posts")["response"]
    for env in tiktok:
        assert set(env["response"]) == set(sample) and env["response"]["error"]["code"] == "ok"
        assert set(env["response"]["data"]) == set(sample["data"])
        for v in env["response"]["data"]["videos"]:
            assert set(v) == set(sample["data"]["videos"][0])
            assert isinstance(v["id"], int) and isinstance(v["create_time"], int)
    profile = next(e for e in envelopes if e["platform"] == "tiktok" and e["kind"] == "profile")
    assert set(profile["response"]["data"]) == set(_sample("tiktok", "profile")["response"]["data"])


@pytest.mark.parametrize("bad", ["tiny", 0, -1.0])
def test_bad_scale_is_rejected(tmp_path, bad):
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, bad)
