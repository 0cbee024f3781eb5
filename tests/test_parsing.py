"""One parser per platform, on envelopes of the body shapes of the platforms' samples."""

import gzip
import json
import shutil

import pytest

from tests.support import FIXTURES_SAMPLES, build_clean, sample_editions, sample_registry, write_jsonl


@pytest.fixture
def parsed(tmp_path):
    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp)
    conn, recon = build_clean(
        tmp_path / "home", inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    yield conn, recon
    conn.close()


def post(conn, post_id):
    cur = conn.execute("SELECT * FROM clean.post_snapshots WHERE post_id = ?", [post_id])
    names = [d[0] for d in cur.description]
    return dict(zip(names, cur.fetchone(), strict=True))


def test_every_sample_post_is_clean_and_reconciles(parsed):
    conn, recon = parsed
    assert {p: c["clean"] for p, c in recon.items()} == {
        "facebook": 2,
        "instagram": 2,
        "x": 2,
        "youtube": 2,
        "tiktok": 1,
    }
    assert all(c["raw_records"] == c["clean"] + c["duplicates"] + c["quarantined"] for c in recon.values())
    assert conn.execute("SELECT count(*) FROM clean.quarantine").fetchone()[0] == 0


def test_facebook(parsed):
    conn, _ = parsed
    photo = post(conn, "100064500000001_901")
    assert photo["media_kind"] == "image" and photo["interactions"] == 412 + 37 + 21
    assert str(photo["published_at"]) == "2025-03-01 15:15:00"  # 08:15 UTC = 15:15 WIB
    video = post(conn, "100064500000001_902")
    assert video["media_kind"] == "video" and video["interactions"] == 95 + 12  # absent shares = 0
    assert (
        video["source_file"].startswith("landing/files/")
        and video["source_line"] == 1
        and video["source_position"] == 1
    )


def test_instagram_hidden_likes_are_unknown_not_zero(parsed):
    conn, _ = parsed
    album = post(conn, "18000000000000001")
    assert album["media_kind"] == "image" and album["interactions"] == 5120 + 88
    reel = post(conn, "18000000000000002")
    assert reel["media_kind"] == "video" and reel["interactions"] is None and reel["interactions_hidden"]
    bd = conn.execute("SELECT followers FROM clean.follower_snapshots WHERE origin = 'business_discovery'").fetchall()
    assert bd == [(2301100,)]


def test_x_media_kind_and_views(parsed):
    conn, _ = parsed
    photo = post(conn, "1895000000000000001")
    assert photo["media_kind"] == "image" and photo["interactions"] == 301 + 9 + 44 + 3 and photo["views"] is None
    video = post(conn, "1895000000000000002")
    assert video["media_kind"] == "video" and video["views"] == 7300 and video["interactions"] == 80 + 2 + 10 + 0


def test_youtube_absent_like_count_is_hidden(parsed):
    conn, _ = parsed
    full = post(conn, "dQw4w9WgXcQ")
    assert full["interactions"] == 410 + 35 and full["views"] == 15230 and full["media_kind"] == "video"
    hidden = post(conn, "aBcDeFgHiJk")
    assert hidden["interactions"] is None and hidden["interactions_hidden"] and hidden["views"] == 88000


def test_tiktok(parsed):
    conn, _ = parsed
    v = post(conn, "7340000000000000001")
    assert v["interactions"] == 8800 + 310 + 95 and v["views"] == 120400
    assert str(v["published_at"]) == "2025-03-01 12:00:00"  # 1740805200 = 05:00 UTC


def test_follower_snapshots_from_every_profile(parsed):
    conn, _ = parsed
    rows = dict(
        conn.execute("SELECT platform, followers FROM clean.follower_snapshots WHERE origin = 'profile'").fetchall()
    )
    assert rows == {"facebook": 1523400, "instagram": 2301100, "x": 845000, "youtube": 301000, "tiktok": 410000}


def test_gzip_jsonl_and_duplicates(tmp_path):
    env = json.loads((FIXTURES_SAMPLES / "x_posts.json").read_text())
    inp = tmp_path / "input"
    write_jsonl(inp / "a" / "x.jsonl", [env])
    with gzip.open(inp / "b" / "x.jsonl.gz", "wt") if (inp / "b").mkdir() is None else None as f:
        f.write(json.dumps(env) + "\n")
    conn, recon = build_clean(
        tmp_path / "home", inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    assert recon["x"] == {"raw_records": 4, "clean": 2, "duplicates": 2, "quarantined": 0}
    # landed verbatim, read-only, with a hash
    files = conn.execute("SELECT path, sha256 FROM clean.landed_files ORDER BY path").fetchall()
    assert len(files) == 2 and all(len(sha) == 64 for _, sha in files)


def test_youtube_hidden_subscriber_count_is_quarantined_as_unknown_audience(tmp_path):
    env = json.loads((FIXTURES_SAMPLES / "youtube_profile.json").read_text())
    env["response"]["items"][0]["statistics"]["hiddenSubscriberCount"] = True
    inp = tmp_path / "input"
    write_jsonl(inp / "yt.jsonl", [env])
    conn, _ = build_clean(
        tmp_path / "home", inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    assert conn.execute("SELECT count(*) FROM clean.follower_snapshots").fetchone()[0] == 0
    reasons = conn.execute("SELECT reason FROM clean.quarantine").fetchall()
    assert reasons == [("the account hides its follower count (items[].statistics.subscriberCount): audience unknown",)]


def test_a_window_cleaned_in_slices_equals_one_piece(tmp_path, monkeypatch):
    """clean_window cuts a long window into slices of whole fetch days (cleaning.SLICE_BYTES) so
    that a 10x edition does not spill without bound; slicing must change nothing."""
    from gsm_platform.parsing import cleaning

    inp = tmp_path / "input"
    shutil.copytree(FIXTURES_SAMPLES, inp / "samples")
    shutil.copytree(FIXTURES_SAMPLES.parent / "bad", inp / "bad")  # undated envelopes, duplicates, ...
    tables = ("clean.post_snapshots", "clean.follower_snapshots", "clean.quarantine", "clean.reconciliation")

    def build(name):
        conn, recon = build_clean(
            tmp_path / name, inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
        )
        rows = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
        conn.close()
        return recon, rows

    whole = build("whole")
    monkeypatch.setattr(cleaning, "SLICE_BYTES", 1)  # one slice per fetch day
    sliced = build("sliced")
    assert sliced == whole
    assert len(whole[1]["clean.reconciliation"]) > 3 and whole[1]["clean.quarantine"]


def test_x_media_are_looked_up_per_page_by_the_first_media_key(tmp_path):
    """x lists media once per page (includes.media); each tweet's kind and views come from the
    page's first media with the tweet's first media key, and never from another page."""
    env = json.loads((FIXTURES_SAMPLES / "x_posts.json").read_text())
    tweet = env["response"]["data"][0]

    def t(i, keys):
        out = {k: v for k, v in tweet.items() if k != "attachments"}
        out["id"] = f"19{i}"
        if keys is not None:
            out["attachments"] = {"media_keys": keys}
        return out

    env["response"]["data"] = [
        t(1, None),
        t(2, ["9_9"]),
        t(3, ["3_1", "7_2"]),
        t(4, ["7_2"]),
        t(5, ["16_5"]),
        t(6, ["3_3"]),
    ]
    env["response"]["includes"]["media"] = [
        {"media_key": "3_1", "type": "photo"},
        {"media_key": "7_2", "type": "video", "public_metrics": {"view_count": 7300}},
        {"media_key": "7_2", "type": "photo"},  # a repeated key: the first one counts
        {"media_key": "16_5", "type": "animated_gif", "public_metrics": {"view_count": 12}},
    ]
    other_page = json.loads((FIXTURES_SAMPLES / "x_posts.json").read_text())
    other_page["response"]["data"] = [t(7, ["3_3"])]
    other_page["response"]["includes"]["media"] = [
        {"media_key": "3_3", "type": "video", "public_metrics": {"view_count": 5}}
    ]
    inp = tmp_path / "input"
    write_jsonl(inp / "x.jsonl", [env, other_page])
    conn, recon = build_clean(
        tmp_path / "home", inp, sample_registry(tmp_path / "r.yaml"), sample_editions(tmp_path / "e.yaml")
    )
    got = {
        r[0]: (r[1], r[2])
        for r in conn.execute("SELECT post_id, media_kind, views FROM clean.post_snapshots").fetchall()
    }
    assert got == {
        "191": ("text", None),  # no attachments
        "192": ("text", None),  # a key the page does not list
        "193": ("image", None),  # the first key decides
        "194": ("video", 7300),
        "195": ("video", 12),  # an animated gif is a video
        "196": ("text", None),  # 3_3 is listed on the other page only
        "197": ("video", 5),
    }
    assert recon["x"] == {"raw_records": 7, "clean": 7, "duplicates": 0, "quarantined": 0}
