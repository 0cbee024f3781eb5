"""`make bench [SCALE=award]`: how fast and how big the platform runs, measured end to end.

    python -m gsm_platform.bench --scale award|quick|N [--seed S] [--out FILE]

1. Generates the demo source at that scale once, cached under
   GSM_HOME/bench/cache/<scale>-s<seed>/ (a separate process: its memory is not counted).
2. In a fresh process and a fresh GSM_HOME (GSM_HOME/bench/run-<scale>/, wiped first),
   materializes the edition from scratch through `run_edition` (the real Dagster jobs with
   their asset checks, Great Expectations suites and the dbt build), timed.
3. The same run's floor: one bare DuckDB pass that reads and parses every landed envelope
   (`read_ndjson` with each platform's typed response struct) and counts the post records
   per platform. end-to-end / floor says what the platform costs over just reading the data.
4. The incremental day: one more day of pulls (the last fetch day's envelopes again, fetched
   one day later) taken as `gsm update` takes it: landed, its month's raw + cleaned
   partitions materialized, and each built edition rebuilt only if the day can change it
   (gsm_platform/edition_impact.py; the day is after the edition's snapshot cutoff, so
   normally it cannot). Timed and compared to the full run.
5. What such a day costs when it does change the edition (a late pull inside a closed window,
   an edition still open): the same day plus the edition's award rebuild, timed.

Peak memory: the whole process tree (this process, the dbt subprocess) is sampled from
/proc every 0.25 s; getrusage's ru_maxrss of the process and of its waited-for children
(dbt) are reported beside. Results are printed and written as JSON
(GSM_HOME/bench/bench-<scale>.json unless --out).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

DEFAULT_SEED = 20250101
TARGETS = {"ratio_to_floor_max": 10.0, "peak_gib_max": 8.0, "incremental_share_max": 0.10}


def _label(scale: str) -> str:
    if scale in ("quick", "award"):
        return scale
    return f"{float(scale):g}"


def _bench_root() -> Path:
    from gsm_platform.paths import gsm_home

    return gsm_home() / "bench"


# --------------------------------------------------------------------------- memory


def _tree_rss_bytes(root_pid: int) -> int:
    """RSS of a process and all its descendants, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2 :].split()
            pid, ppid = int(entry), int(fields[1])
            rss[pid] = int(fields[21]) * page
            children.setdefault(ppid, []).append(pid)
        except (OSError, ValueError, IndexError):
            continue
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


class TreeSampler:
    """Samples the RSS of this process tree in a thread; `peak` is the largest sum seen."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss_bytes(pid))
            self._stop.wait(self.interval)

    def reset(self) -> None:
        self.peak = 0

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process and its waited-for children (dbt)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _rusage_gib() -> dict[str, float]:
    # ru_maxrss is in KiB on Linux
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"self_maxrss_gib": round(self_kib / 2**20, 3), "children_maxrss_gib": round(child_kib / 2**20, 3)}


# --------------------------------------------------------------------------- phases


def generate_cached(scale: str, seed: int) -> Path:
    """The demo source at this scale and seed, generated once (in a subprocess)."""
    cache = _bench_root() / "cache" / f"{_label(scale)}-s{seed}"
    done = cache / "generated.json"
    if done.exists():
        print(f"source: cached {cache}")
        return cache
    print(f"source: generating scale {scale} (seed {seed}) into {cache} ...", flush=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gsm_platform.bench",
            "--phase",
            "generate",
            "--scale",
            scale,
            "--seed",
            str(seed),
            "--dir",
            str(cache),
        ],
        check=True,
    )
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


def floor_pass(conn, landing_root: Path) -> dict[str, int]:
    """The bare DuckDB floor: read and parse every landed envelope of every platform with its
    typed response struct, and count the post records per platform."""
    from gsm_platform.parsing import PARSERS
    from gsm_platform.warehouse import one_value

    counts: dict[str, int] = {}
    for platform, parser in PARSERS.items():
        folder = landing_root / platform
        files = (
            [str(p) for p in sorted(folder.rglob("*")) if p.is_file() and p.name.endswith((".jsonl", ".jsonl.gz"))]
            if folder.is_dir()
            else []
        )
        if not files:
            continue
        columns = {
            "platform": "VARCHAR",
            "kind": "VARCHAR",
            "account_id": "VARCHAR",
            "fetched_at": "VARCHAR",
            "response": " ".join(parser.RESPONSE_TYPE.split()),
        }
        struct = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        n = one_value(
            conn,
            f"""SELECT coalesce(sum(len({parser.POSTS_LIST})), 0)
                FROM (SELECT kind, response AS r FROM read_ndjson(?, columns = {struct},
                      ignore_errors = true, maximum_object_size = 134217728))
                WHERE kind = 'posts'""",
            [files],
            what=f"the {platform} post records of the floor pass",
        )
        counts[platform] = int(n)
    return counts


def write_next_day(conn, extra_dir: Path) -> tuple[dt.date, int]:
    """Writes one more day of pulls into extra_dir: the envelopes of the last fetch day,
    fetched one day later. Returns (the new fetch day, envelopes written)."""
    from gsm_platform.warehouse import one_value

    last = one_value(conn, "SELECT max(fetch_date) FROM raw.envelopes", what="the last fetch day")
    new_day = last + dt.timedelta(days=1)
    rows = conn.execute(
        "SELECT platform, text FROM raw.envelopes WHERE fetch_date = ? AND platform IS NOT NULL "
        "ORDER BY source_file, source_line",
        [last],
    ).fetchall()
    by_platform: dict[str, list[str]] = {}
    for platform, text in rows:
        try:
            env = json.loads(text)
            fetched = dt.datetime.fromisoformat(env["fetched_at"])
        except (ValueError, KeyError, TypeError):
            continue
        env["fetched_at"] = (fetched + dt.timedelta(days=1)).isoformat()
        by_platform.setdefault(platform, []).append(json.dumps(env, ensure_ascii=False, separators=(",", ":")))
    n = 0
    for platform, lines in by_platform.items():
        folder = extra_dir / platform / new_day.strftime("%Y-%m")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"pulls-{new_day}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        n += len(lines)
    return new_day, n


def _phase_measure(scale: str, source: Path, run_home: Path, out: Path) -> dict:
    """Runs in its own process with GSM_HOME=run_home (fresh)."""
    import duckdb

    from gsm_platform.accounting import counts
    from gsm_platform.rankings import ranking_rows
    from gsm_platform.registry import load_editions
    from gsm_platform.resources import save_inputs
    from gsm_platform.runs import pipeline
    from gsm_platform.runs.launch import execute
    from gsm_platform.warehouse import connect, memory_limit

    edition = load_editions(source / "editions.yaml").latest().id
    generated = json.loads((source / "generated.json").read_text())
    result: dict = {
        "scale": scale,
        "edition": edition,
        "seed": generated.get("seed"),
        "source": str(source),
        "home": str(run_home),
        "cpus": os.cpu_count(),
        "duckdb_memory_limit": memory_limit(),
        "duckdb_version": duckdb.__version__,
        "generated": generated,
    }
    with TreeSampler() as sampler:
        # 1. the full edition, from scratch
        started, cpu0 = time.perf_counter(), _cpu_s()
        summary = pipeline.run_edition(
            edition,
            "files",
            str(source / "input"),
            str(source / "registry.yaml"),
            str(source / "editions.yaml"),
            quiet=True,
        )
        full_s, full_cpu = time.perf_counter() - started, _cpu_s() - cpu0
        full_peak = sampler.peak
        with connect(read_only=True) as conn:
            landed = counts(conn)  # the whole landing
            records, envelopes = landed.posts.read, landed.envelopes.read
            rows = len(ranking_rows(conn, edition))
        result["full"] = {
            "seconds": round(full_s, 2),
            "cpu_seconds": round(full_cpu, 1),
            "post_records": records,
            "envelopes": envelopes,
            "records_per_s": round(records / full_s),
            "ranking_rows": rows,
            "fetch_months": summary["fetch_months"],
            "peak_tree_rss_gib": round(full_peak / 2**30, 3),
            **_rusage_gib(),
        }
        out.write_text(json.dumps(result, indent=2) + "\n")  # partial result, in case a later phase fails
        print(f"full run: {full_s:.1f} s, {records:,} post records, peak {full_peak / 2**30:.2f} GiB", flush=True)

        # 2. the floor: one bare DuckDB pass over the same landed envelopes
        sampler.reset()
        conn = duckdb.connect(config={"memory_limit": memory_limit()})
        started, cpu0 = time.perf_counter(), _cpu_s()
        floor_counts = floor_pass(conn, run_home / "landing" / "files")
        floor_s, floor_cpu = time.perf_counter() - started, _cpu_s() - cpu0
        conn.close()
        result["floor"] = {
            "seconds": round(floor_s, 2),
            "cpu_seconds": round(floor_cpu, 1),
            "post_records_by_platform": floor_counts,
            "post_records": sum(floor_counts.values()),
            "peak_tree_rss_gib": round(sampler.peak / 2**30, 3),
        }
        result["ratio_end_to_end_over_floor"] = round(full_s / floor_s, 2)
        result["cpu_ratio_end_to_end_over_floor"] = round(full_cpu / max(floor_cpu, 1e-9), 2)
        out.write_text(json.dumps(result, indent=2) + "\n")
        print(
            f"floor: {floor_s:.1f} s ({sum(floor_counts.values()):,} post records), ratio {full_s / floor_s:.1f}x",
            flush=True,
        )

        # 3. one more day of pulls, as `gsm update` takes it: land it, clean its month, and
        #    rebuild the built editions it can change (gsm_platform/edition_impact.py)
        extra = run_home / "extra-input"
        with connect(read_only=True) as conn:
            new_day, n_env = write_next_day(conn, extra)
        cfg = json.loads((run_home / "config.json").read_text())
        save_inputs(cfg | {"input_dir": str(extra)})
        sampler.reset()
        started, cpu0 = time.perf_counter(), _cpu_s()
        update = pipeline.run_update(quiet=True)
        inc_s, inc_cpu = time.perf_counter() - started, _cpu_s() - cpu0
        result["incremental_day"] = {
            "fetch_day": new_day.isoformat(),
            "envelopes": n_env,
            "seconds": round(inc_s, 2),
            "cpu_seconds": round(inc_cpu, 1),
            **update["timings"],
            "rebuilt": update["rebuilt"],
            "editions": update["editions"],
            "share_of_full": round(inc_s / full_s, 4),
            "peak_tree_rss_gib": round(sampler.peak / 2**30, 3),
        }
        print(
            f"incremental day {new_day}: {inc_s:.1f} s = {inc_s / full_s:.1%} of the full run {update['timings']}; "
            f"rebuilt: {update['rebuilt'] or 'none'}",
            flush=True,
        )

        # 4. what the day costs when it does change the edition (a late pull inside its window,
        #    or an edition still open): the same day plus the edition's award rebuild
        import dagster as dg

        from assets.jobs import AWARD_JOB
        from gsm_platform.definitions import build_definitions

        award_s = update["timings"].get(f"award_{edition}_s")
        if award_s is None:
            started = time.perf_counter()
            execute(
                build_definitions().resolve_job_def(AWARD_JOB),
                run_home / "logs" / "bench-rebuild.log",
                instance=dg.DagsterInstance.get(),
                partition_key=edition,
            )
            award_s = time.perf_counter() - started
            changing_s = inc_s + award_s
        else:
            changing_s = inc_s
        save_inputs(cfg)
        result["day_that_changes_the_edition"] = {
            "seconds": round(changing_s, 2),
            "award_s": round(award_s, 2),
            "share_of_full": round(changing_s / full_s, 4),
        }
        print(
            f"a day that changes the edition: {changing_s:.1f} s = {changing_s / full_s:.1%} "
            f"(award rebuild {award_s:.1f} s)",
            flush=True,
        )
    result["peak_gib"] = max(
        result["full"]["peak_tree_rss_gib"],
        result["floor"]["peak_tree_rss_gib"],
        result["incremental_day"]["peak_tree_rss_gib"],
    )
    result.update(_rusage_gib())
    result["targets"] = TARGETS
    result["targets_met"] = {
        "ratio_to_floor": result["ratio_end_to_end_over_floor"] <= TARGETS["ratio_to_floor_max"],
        "peak_memory": result["peak_gib"] < TARGETS["peak_gib_max"],
        "incremental_day": result["incremental_day"]["share_of_full"] < TARGETS["incremental_share_max"],
    }
    return result


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
        result = _phase_measure(args.scale, Path(args.dir), Path(os.environ["GSM_HOME"]), Path(args.out))
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
    subprocess.run(
        [
            sys.executable,
            "-m",
            "gsm_platform.bench",
            "--phase",
            "measure",
            "--scale",
            args.scale,
            "--dir",
            str(source),
            "--out",
            str(out),
        ],
        env=env,
        check=True,
    )
    result = json.loads(out.read_text())
    full, floor, inc = result["full"], result["floor"], result["incremental_day"]
    print()
    print(
        f"GSM bench, scale {args.scale} (edition {result['edition']}, {result['cpus']} CPUs, "
        f"DuckDB memory_limit {result['duckdb_memory_limit']})"
    )
    print(f"  post records        {full['post_records']:,} ({full['envelopes']:,} envelopes)")
    print(f"  end to end          {full['seconds']:.1f} s, {full['records_per_s']:,} records/s")
    print(
        f"  DuckDB floor        {floor['seconds']:.1f} s  -> end to end / floor = "
        f"{result['ratio_end_to_end_over_floor']}x"
    )
    print(
        f"  peak memory         {result['peak_gib']:.2f} GiB (process tree; ru_maxrss self "
        f"{result['self_maxrss_gib']} GiB, children {result['children_maxrss_gib']} GiB)"
    )
    print(
        f"  CPU time            end to end {full['cpu_seconds']} s, floor {floor['cpu_seconds']} s "
        f"({result['cpu_ratio_end_to_end_over_floor']}x), one more day {inc['cpu_seconds']} s"
    )
    changing = result["day_that_changes_the_edition"]
    print(
        f"  one more day        {inc['seconds']:.1f} s = {inc['share_of_full']:.1%} of the full run "
        f"(editions rebuilt: {', '.join(inc['rebuilt']) or 'none'})"
    )
    for decision in inc["editions"]:
        print(
            f"                      edition {decision['edition']}: {'rebuild' if decision['changed'] else 'stands'}"
            f" - {decision['reason']}"
        )
    print(
        f"  a day that changes  {changing['seconds']:.1f} s = {changing['share_of_full']:.1%} of the full run "
        f"(the edition's award rebuild: {changing['award_s']:.1f} s)"
    )
    print(f"  targets met         {result['targets_met']}")
    print(f"  written             {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
