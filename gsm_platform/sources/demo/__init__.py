"""The embedded default source `demo`: a seeded, deterministic generator of landed envelopes.

`generate(out_dir, scale, seed)` writes

    out_dir/registry.yaml    who is tracked
    out_dir/editions.yaml    what is awarded
    out_dir/input/<platform>/<YYYY-MM of fetch>/<kind>-<account_id>.jsonl.gz

and the envelopes have exactly the contract of RAW_FORMAT.md: one API response body per
envelope, in the body shapes the platforms document (the same shapes the parsers read).

Scales
- "quick": the shipped default registry and editions files, copied unchanged; data for the
  latest edition only (institutions of its clusters, accounts on its platforms), about
  240k post records so the whole pipeline runs in a minute or two. With outlook_demo (make
  demo), also an earlier demo edition with data in out_dir/earlier/input/ and a synthetic
  merger appended to the copies (docs/outlook.md, "The demo"); the latest edition's files
  stay byte-identical.
- "award" (= 1.0) or a number k: shaped like the 2020 edition: a generated registry of 249
  institutions (34 kementerian, 50 lembaga, 34 pemprov, 131 bumn; real names of the default
  registry where it has them, numbered synthetic ones where not), each with a facebook,
  instagram, x and youtube account, one edition "2020", and at least ceil(6,036,434 * k)
  post records (the count of the real 2020 edition).

What the data exercises (METHODOLOGY.md): posting habits from about a post a week to about
ten a day per institution, weeks-long gaps, dormant accounts with fewer than ten posts,
accounts of institutions created or retired inside the window posting only while they
exist; per-account media mixes; log-normal follower sizes and engagement that differ
strongly per account; followers that grow over the year; hidden likes (instagram
like_count 0, youtube channels without likeCount) and hidden youtube subscriber counts;
several snapshots per post with growing counts (the daily pull of the day after
publication, ~7 and ~30 days later, a settle pull 3 days after the edition end, pulls
that continue past the settle cutoff); a few pipeline outage days; a few accounts first
pulled 20 days after the edition end (late snapshots); a few posts pages landed twice
(byte-identical) and a few pulled twice at the same time with different counts (a stale
response with fewer interactions); posts
just before the window start and just after its end; instagram pages in the Business
Discovery form (with followers_count); facebook shares absent when zero; youtube counts as
strings; tiktok create_time in unix seconds with numeric ids; x includes.media with
view_count on videos; weekly profile envelopes per account plus one before the window.

Determinism: the same arguments give byte-identical files. Every random draw comes from a
numpy Generator seeded from `seed` and a blake2b hash of (purpose, platform, account id),
never Python's hash(); files are written in a fixed order, gzip headers carry mtime 0 and
no file name, JSON keys have a fixed order and no wall-clock time is written anywhere.
Memory is bounded by one account's data (one worker process per CPU, up to 4, at large
scales), so k = 10 streams out like k = 1.
"""

from gsm_platform.sources.demo.generate import AWARD_RECORDS, QUICK_RECORDS, GenerateReport, generate
from gsm_platform.sources.demo.registry import ACCOUNT_IDS_NOTE

__all__ = ["ACCOUNT_IDS_NOTE", "AWARD_RECORDS", "QUICK_RECORDS", "GenerateReport", "generate"]
