"""The measure phase of `make bench`, in its own process with a fresh GSM_HOME: the full run
from scratch, the two floors over the same landed files, one more day of pulls, and what a
day that changes the edition costs; each timed, with its peak memory and its breakdown."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import time
from pathlib import Path

from gsm_platform import phases
from gsm_platform.bench import breakdown, floors
from gsm_platform.bench.memory import TreeSampler, cpu_s, rusage_gib


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


def _timed(fn):
    started, cpu0 = time.perf_counter(), cpu_s()
    out = fn()
    return out, time.perf_counter() - started, cpu_s() - cpu0


def _floors(result: dict, run_home: Path, full_s: float, full_cpu: float, sampler: TreeSampler) -> None:
    """Both floors over the landed files, in this run (the headline ratio is over the bare pass)."""
    import duckdb

    from gsm_platform.warehouse import memory_limit

    landed = run_home / "landing"
    for name, fn in (("bare_pass", floors.bare_pass), ("typed_pass", floors.typed_pass)):
        sampler.reset()
        conn = duckdb.connect(config={"memory_limit": memory_limit()})
        conn.execute("SET enable_progress_bar = false")  # a connection setting (not a global one)
        counts, wall, cpu = _timed(lambda fn=fn, conn=conn: fn(conn, landed))
        conn.close()
        records = sum(v["post_records"] if isinstance(v, dict) else v for v in counts.values())
        result[name] = {
            "seconds": round(wall, 2),
            "cpu_seconds": round(cpu, 1),
            "post_records": records,
            "by_platform": counts,
            "ratio_end_to_end": round(full_s / wall, 2),
            "cpu_ratio_end_to_end": round(full_cpu / max(cpu, 1e-9), 2),
            "peak_tree_rss_gib": round(sampler.peak / 2**30, 3),
        }
        print(
            f"{name}: {wall:.1f} s ({records:,} post records), end to end / {name} = {full_s / wall:.1f}x", flush=True
        )


def measure(scale: str, source: Path, run_home: Path, out: Path) -> dict:
    """Runs in its own process with GSM_HOME=run_home (fresh)."""
    import dagster as dg
    import duckdb

    from gsm_platform.accounting import counts
    from gsm_platform.rankings import ranking_rows
    from gsm_platform.registry import load_editions
    from gsm_platform.resources import dbt_target_dir, save_inputs, saved_inputs
    from gsm_platform.runs import pipeline
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
    events = breakdown.EventClock().install()
    phase_log = run_home / "bench-phases-full.jsonl"
    os.environ[phases.ENV] = str(phase_log)
    with TreeSampler() as sampler:
        # 1. the full edition, from scratch
        began = time.time()
        summary, full_s, full_cpu = _timed(
            lambda: pipeline.run_edition(
                edition,
                "files",
                str(source / "input"),
                str(source / "registry.yaml"),
                str(source / "editions.yaml"),
                quiet=True,
            )
        )
        os.environ.pop(phases.ENV)
        full_peak = sampler.peak
        n_events, events_wall, events_cpu = events.snapshot()
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
            **rusage_gib(),
        }
        result["breakdown"] = {
            "phases": breakdown.read_phases(phase_log),
            "peak_reached_in": breakdown.peak_phase(phase_log),
            "runs": breakdown.dagster_runs(dg.DagsterInstance.get(), began),
            "dagster_events": {"events": n_events, "wall_s": round(events_wall, 2), "cpu_s": round(events_cpu, 2)},
            "dbt": breakdown.dbt_nodes(dbt_target_dir()),
        }
        out.write_text(json.dumps(result, indent=2) + "\n")  # partial result, in case a later phase fails
        print(f"full run: {full_s:.1f} s, {records:,} post records, peak {full_peak / 2**30:.2f} GiB", flush=True)

        # 2. the floors: bare DuckDB passes over the same landed files
        _floors(result, run_home, full_s, full_cpu, sampler)
        result["ratio_end_to_end_over_bare_pass"] = result["bare_pass"]["ratio_end_to_end"]
        result["ratio_end_to_end_over_typed_pass"] = result["typed_pass"]["ratio_end_to_end"]
        out.write_text(json.dumps(result, indent=2) + "\n")

        # 3. one more day of pulls, as `gsm update` takes it: land it, clean its month, and
        #    rebuild the built editions it can change (gsm_platform/edition_impact.py)
        extra = run_home / "extra-input"
        with connect(read_only=True) as conn:
            new_day, n_env = write_next_day(conn, extra)
        cfg = saved_inputs()  # what run_edition saved: `gsm update` reads it
        save_inputs(dataclasses.replace(cfg, input_dir=str(extra)))
        sampler.reset()
        day_log = run_home / "bench-phases-day.jsonl"
        os.environ[phases.ENV] = str(day_log)  # the day's own phases, apart from the full run's
        events_before = events.snapshot()
        try:
            update, inc_s, inc_cpu = _timed(lambda: pipeline.run_update(quiet=True))
        finally:
            os.environ.pop(phases.ENV)
        day_phases = breakdown.read_phases(day_log)
        day_events = [after - before for after, before in zip(events.snapshot(), events_before, strict=True)]
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
            "phases": day_phases,
            "dagster_events": dict(zip(("events", "wall_s", "cpu_s"), day_events, strict=True)),
        }
        print(
            f"incremental day {new_day}: {inc_s:.1f} s = {inc_s / full_s:.1%} of the full run {update['timings']}; "
            f"rebuilt: {update['rebuilt'] or 'none'}",
            flush=True,
        )
        costliest = sorted(day_phases.items(), key=lambda kv: -kv[1]["wall_s"])[:8]
        print("  the day's costliest phases: " + ", ".join(f"{k} {v['wall_s']:.2f} s" for k, v in costliest))
        print(
            "  the day's Dagster events: {events} ({wall_s:.2f} s)".format(
                **result["incremental_day"]["dagster_events"]
            )
        )

        # 4. what the day costs when it does change the edition (a late pull inside its window,
        #    or an edition still open): the same day plus the edition's award rebuild
        award_s = update["timings"].get(f"award_{edition}_s")
        if award_s is None:
            award_s = _rebuild(edition, run_home)
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
        result["bare_pass"]["peak_tree_rss_gib"],
        result["typed_pass"]["peak_tree_rss_gib"],
        result["incremental_day"]["peak_tree_rss_gib"],
    )
    result.update(rusage_gib())
    return result


def _rebuild(edition: str, run_home: Path) -> float:
    import dagster as dg

    from assets.jobs import AWARD_JOB
    from gsm_platform.resources import saved_inputs
    from gsm_platform.runs.launch import execute

    started = time.perf_counter()
    execute(
        AWARD_JOB,
        run_home / "logs" / "bench-rebuild.log",
        instance=dg.DagsterInstance.get(),
        partition_key=edition,
        run_config=saved_inputs().run_config(),  # as every run gsm starts: its inputs shown in its config
    )
    return time.perf_counter() - started
