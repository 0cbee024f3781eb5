"""`make bench [SCALE=award]`: how fast and how big the platform runs, measured end to end.

    python -m gsm_platform.bench --scale award|quick|N [--seed S] [--out FILE]

1. Generates the demo source at that scale once, cached under
   GSM_HOME/bench/cache/<scale>-s<seed>/ (a separate process: its memory is not counted).
2. In a fresh process and a fresh GSM_HOME (GSM_HOME/bench/run-<scale>/, wiped first),
   materializes the edition from scratch through `run_edition` (the real Dagster jobs with
   their asset checks, Great Expectations suites and the dbt build), timed, with its
   breakdown (breakdown.py: the phases the platform records, dbt's per-node timing, the
   Dagster events of each run and their cost).
3. The same run's floors over the same landed files (floors.py): the bare pass (every line
   that is JSON read by DuckDB, each posts list's length counted: the headline, end to end /
   bare pass) and the typed pass (`read_ndjson` with each platform's typed struct).
4. The incremental day: one more day of pulls (the last fetch day's envelopes again, fetched
   one day later) taken as `gsm update` takes it: landed, its month's raw + cleaned
   partitions materialized, and each built edition rebuilt only if the day can change it
   (gsm_platform/edition_impact.py; the day is after the edition's snapshot cutoff, so
   normally it cannot). Timed and compared to the full run.
5. What such a day costs when it does change the edition (a late pull inside a closed window,
   an edition still open): the same day plus the edition's award rebuild, timed.

Peak memory: the whole process tree (this process, the dbt subprocess) is sampled from
/proc every 0.25 s (memory.py); getrusage's ru_maxrss of the process and of its waited-for
children (dbt) are reported beside. Results are printed and written as JSON
(GSM_HOME/bench/bench-<scale>.json unless --out).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from gsm_platform.bench.measure import write_next_day

DEFAULT_SEED = 20250101
# issue 18's targets: award scale (and below), and 10x (any scale from 5x up)
TARGETS = {
    "award": {"ratio_to_bare_pass_max": 5.0, "ratio_stretch": 3.0, "peak_gib_max": 4.0, "incremental_share_max": 0.10},
    "10x": {"ratio_to_bare_pass_max": 10.0, "peak_gib_max": 8.0, "incremental_share_max": 0.10},
}

__all__ = ["DEFAULT_SEED", "TARGETS", "main", "write_next_day"]


def _label(scale: str) -> str:
    if scale in ("quick", "award"):
        return scale
    return f"{float(scale):g}"


def targets_for(scale: str) -> dict[str, float]:
    return TARGETS["10x"] if scale not in ("quick", "award") and float(scale) >= 5 else TARGETS["award"]


def _bench_root() -> Path:
    from gsm_platform.paths import gsm_home

    return gsm_home() / "bench"


def generate_cached(scale: str, seed: int) -> Path:
    """The demo source at this scale and seed, generated once (in a subprocess)."""
    cache = _bench_root() / "cache" / f"{_label(scale)}-s{seed}"
    done = cache / "generated.json"
    if done.exists():
        print(f"source: cached {cache}")
        return cache
    print(f"source: generating scale {scale} (seed {seed}) into {cache} ...", flush=True)
    command = [sys.executable, "-m", "gsm_platform.bench", "--phase", "generate", "--scale", scale]
    subprocess.run([*command, "--seed", str(seed), "--dir", str(cache)], check=True)
    return cache


def _phase_generate(scale: str, seed: int, cache: Path) -> None:
    from gsm_platform.sources.demo import generate

    started = time.perf_counter()
    report = generate(cache, scale if scale in ("quick", "award") else float(scale), seed)
    info = dataclasses.asdict(report) | {
        "scale": scale,
        "seed": seed,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (cache / "generated.json").write_text(json.dumps(info, indent=2) + "\n")
    print(f"source: {info}")


def judge(result: dict) -> dict:
    """The targets of the scale, and which are met."""
    targets = targets_for(result["scale"])
    met = {
        "ratio_to_bare_pass": result["ratio_end_to_end_over_bare_pass"] <= targets["ratio_to_bare_pass_max"],
        "peak_memory": result["peak_gib"] <= targets["peak_gib_max"],
        "incremental_day": result["incremental_day"]["share_of_full"] <= targets["incremental_share_max"],
    }
    if "ratio_stretch" in targets:
        met["ratio_stretch"] = result["ratio_end_to_end_over_bare_pass"] <= targets["ratio_stretch"]
    return {"targets": targets, "targets_met": met}


def report_lines(result: dict) -> list[str]:
    from gsm_platform.bench import breakdown

    full, bare, typed, inc = result["full"], result["bare_pass"], result["typed_pass"], result["incremental_day"]
    changing = result["day_that_changes_the_edition"]
    lines = [
        f"GSM bench, scale {result['scale']} (edition {result['edition']}, {result['cpus']} CPUs, "
        f"DuckDB memory_limit {result['duckdb_memory_limit']})",
        f"  post records        {full['post_records']:,} ({full['envelopes']:,} envelopes)",
        f"  end to end          {full['seconds']:.1f} s, {full['records_per_s']:,} records/s, "
        f"{full['cpu_seconds']} s CPU",
        f"  bare pass           {bare['seconds']:.1f} s, {bare['cpu_seconds']} s CPU -> end to end / bare pass = "
        f"{result['ratio_end_to_end_over_bare_pass']}x (CPU {bare['cpu_ratio_end_to_end']}x)",
        f"  typed pass          {typed['seconds']:.1f} s, {typed['cpu_seconds']} s CPU "
        f"-> end to end / typed pass = {result['ratio_end_to_end_over_typed_pass']}x",
        f"  peak memory         {result['peak_gib']:.2f} GiB (process tree; full run {full['peak_tree_rss_gib']} GiB; "
        f"ru_maxrss self {result['self_maxrss_gib']} GiB, children {result['children_maxrss_gib']} GiB)",
        f"  one more day        {inc['seconds']:.1f} s = {inc['share_of_full']:.1%} of the full run "
        f"(editions rebuilt: {', '.join(inc['rebuilt']) or 'none'})",
    ]
    for decision in inc["editions"]:
        verdict = "rebuild" if decision["changed"] else "stands"
        lines.append(f"                      edition {decision['edition']}: {verdict} - {decision['reason']}")
    lines.append(
        f"  a day that changes  {changing['seconds']:.1f} s = {changing['share_of_full']:.1%} of the full run "
        f"(the edition's award rebuild: {changing['award_s']:.1f} s)"
    )
    peak_in = result["breakdown"].get("peak_reached_in")
    if peak_in:
        lines.append(
            f"  peak reached in     {peak_in['phase']} (the process's ru_maxrss {peak_in['maxrss_gib']} GiB at its end)"
        )
    lines.append(f"  targets met         {result['targets_met']}")
    b = result["breakdown"]
    lines.append("  where the full run goes:")
    lines += breakdown.format_rows(
        breakdown.summarize(b["phases"], b["runs"], b["dagster_events"], b["dbt"], full["seconds"])
    )
    for run in b["runs"]:
        lines.append(f"    run {run['job']:<8} {run['wall_s']:7.2f} s, {run['events']:4} events, steps {run['steps']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gsm_platform.bench", description=__doc__.split("\n")[0])
    p.add_argument("--scale", default="award", help="quick | award | a multiple of award scale (0.1, 10)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", help="JSON result file (default GSM_HOME/bench/bench-<scale>.json)")
    p.add_argument("--phase", choices=("all", "generate", "measure"), default="all", help=argparse.SUPPRESS)
    p.add_argument("--dir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.scale not in ("quick", "award"):
        try:
            if float(args.scale) <= 0:
                raise ValueError
        except ValueError:
            p.error(f"--scale must be quick, award or a positive number (got {args.scale!r})")

    if args.phase == "generate":
        _phase_generate(args.scale, args.seed, Path(args.dir))
        return 0
    if args.phase == "measure":
        from gsm_platform.bench.measure import measure

        result = measure(args.scale, Path(args.dir), Path(os.environ["GSM_HOME"]), Path(args.out))
        result.update(judge(result))
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
        return 0

    source = generate_cached(args.scale, args.seed)
    root = _bench_root()
    run_home = root / f"run-{_label(args.scale)}"
    if run_home.exists():
        shutil.rmtree(run_home)
    run_home.mkdir(parents=True)
    out = Path(args.out) if args.out else root / f"bench-{_label(args.scale)}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = os.environ | {
        "GSM_HOME": str(run_home),
        "GSM_WAREHOUSE": str(run_home / "warehouse.duckdb"),
        "DAGSTER_HOME": str(run_home / "dagster"),
    }
    print(f"run: fresh GSM_HOME {run_home}", flush=True)
    command = [sys.executable, "-m", "gsm_platform.bench", "--phase", "measure", "--scale", args.scale]
    subprocess.run([*command, "--dir", str(source), "--out", str(out)], env=env, check=True)
    result = json.loads(out.read_text())
    print()
    print("\n".join(report_lines(result)))
    print(f"  written             {out}")
    return 0
