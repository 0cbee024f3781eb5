"""Where the time of a bench run goes: the phases the platform records (gsm_platform/phases.py:
landing's copy and hash and its indexing, each platform's parse, the dedupe, the guard, every
check, the GX suites, the dbt build, the export), dbt's own per-node timing (run_results.json),
and Dagster's bookkeeping: the events each run wrote, read back from the run's event log, and
the seconds spent handing them to the instance (timed here, around
`DagsterInstance.handle_new_event`, in the bench's process only)."""

from __future__ import annotations

import collections
import json
import threading
import time
from pathlib import Path


class EventClock:
    """Counts and times every event the runs of this process hand to the Dagster instance (the
    storage write, SQLite's commit included). Installed for the bench's measure process only."""

    def __init__(self) -> None:
        self.events = 0
        self.wall = self.cpu = 0.0
        self._lock = threading.Lock()

    def install(self) -> EventClock:
        import dagster as dg

        original = dg.DagsterInstance.handle_new_event
        clock = self

        def timed(instance, event, *args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(instance, event, *args, **kwargs)
            finally:
                with clock._lock:
                    clock.events += 1
                    clock.wall += time.perf_counter() - wall
                    clock.cpu += time.thread_time() - cpu

        # patched on the class for the bench's process only (its measure phase ends with it)
        dg.DagsterInstance.handle_new_event = timed  # type: ignore[method-assign, assignment]
        return self

    def snapshot(self) -> tuple[int, float, float]:
        with self._lock:
            return self.events, self.wall, self.cpu


def read_phases(path: Path) -> dict[str, dict[str, float]]:
    """The phase log, summed by name: wall_s, cpu_s, children_cpu_s, times."""
    out: dict[str, dict[str, float]] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        total = out.setdefault(row["phase"], {"wall_s": 0.0, "cpu_s": 0.0, "children_cpu_s": 0.0, "times": 0})
        total["wall_s"] += row["wall_s"]
        total["cpu_s"] += row["cpu_s"]
        total["children_cpu_s"] += row.get("children_cpu_s", 0.0)
        total["times"] += row.get("times", 1)
    return {k: {m: round(v, 3) if isinstance(v, float) else v for m, v in t.items()} for k, t in out.items()}


def peak_phase(path: Path) -> dict | None:
    """The phase during which each process's peak RSS (ru_maxrss) reached its final value: the
    first phase logged with that high-water mark, by process."""
    if not path.is_file():
        return None
    first: dict[int, tuple[int, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        mib = row.get("maxrss_mib")
        if mib is not None and mib > first.get(row["pid"], (-1, ""))[0]:
            first[row["pid"]] = (mib, row["phase"])
    if not first:
        return None
    mib, phase = max(first.values())
    return {"phase": phase, "maxrss_gib": round(mib / 1024, 3)}


def dagster_runs(instance, since: float) -> list[dict]:
    """Every run started after `since` (a timestamp): its job, wall seconds, each step's
    seconds and the events it wrote, by type."""
    import dagster as dg

    out = []
    for run in reversed(instance.get_runs(filters=dg.RunsFilter(created_after=_utc(since)))):
        events = instance.all_logs(run.run_id)
        types = collections.Counter(e.dagster_event_type.value if e.dagster_event_type else "LOG" for e in events)
        started: dict[str, float] = {}
        steps: dict[str, float] = {}
        for e in events:
            if e.dagster_event_type == dg.DagsterEventType.STEP_START:
                started[e.step_key] = e.timestamp
            elif e.dagster_event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                steps[e.step_key] = round(e.timestamp - started.get(e.step_key, e.timestamp), 2)
        stats = instance.get_run_stats(run.run_id)
        out.append(
            {
                "job": run.job_name,
                "run_id": run.run_id[:8],
                "wall_s": round((stats.end_time or 0) - (stats.start_time or 0), 2),
                "steps": steps,
                "events": sum(types.values()),
                "events_by_type": dict(types.most_common()),
            }
        )
    return out


def _utc(timestamp: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def dbt_nodes(target_dir: Path) -> dict:
    """dbt's last build (run_results.json): its elapsed seconds, each model's execution seconds
    and the tests' count and seconds."""
    path = target_dir / "run_results.json"
    if not path.is_file():
        return {}
    results = json.loads(path.read_text())
    models: dict[str, float] = {}
    count, seconds = 0, 0.0
    slowest: list[tuple[float, str]] = []
    for node in results["results"]:
        kind, _, name = node["unique_id"].split(".", 2)
        if kind == "model":
            models[name.split(".")[-1]] = round(node["execution_time"], 2)
        elif kind == "test":
            count += 1
            seconds += node["execution_time"]
            # test.<package>.<test name>.<hash>: the name, not the hash
            slowest.append((round(node["execution_time"], 2), name.rsplit(".", 1)[0]))
    tests = {
        "count": count,
        "seconds": round(seconds, 2),
        "slowest": [{"test": n, "seconds": s} for s, n in sorted(slowest, reverse=True)[:5]],
    }
    return {
        "elapsed_s": round(results["elapsed_time"], 2),
        "models_s": round(sum(models.values()), 2),
        "models": dict(sorted(models.items(), key=lambda kv: -kv[1])),
        "tests": tests,
    }


# The rows of the printed breakdown: (label, phase names summed, indent). Phases not listed
# here are shown under "other phases".
_LAYOUT = (
    ("definitions before the runs (dbt parse in a fresh GSM_HOME)", ("runs/definitions",), 0),
    ("landing (ingest run)", None, 0),
    ("copy + sha256 of new files", ("landing/copy_hash",), 1),
    ("indexing: gunzip, lines, header parse, raw.envelopes", ("landing/index",), 1),
    ("recovery scan", ("landing/recover",), 1),
    ("raw pulls (counts)", ("raw_pulls",), 0),
    ("cleaning (clean run)", None, 0),
    ("replace the slice's old rows", ("clean/replace_old_rows",), 1),
    ("envelope checks", ("clean/envelope_checks",), 1),
    ("parse: JSON typed", "clean/parse/*/json", 1),
    ("parse: bodies, listed accounts", "clean/parse/*/bodies_accounts", 1),
    ("parse: follower snapshots", "clean/parse/*/followers", 1),
    ("parse: posts (unnest, checks, candidates)", "clean/parse/*/posts", 1),
    ("dedupe (identical snapshots)", ("clean/dedupe",), 1),
    ("post details (the GSM Outlook's, one row per post)", ("clean/details",), 1),
    ("reconcile (ledgers)", ("clean/reconcile",), 1),
    ("guard (records recounted from JSON)", ("clean/guard",), 1),
    ("commit", ("clean/commit",), 1),
    ("asset metadata (ledgers)", ("clean/metadata",), 1),
    ("dbt build (award run; dbt's CPU as child)", ("dbt/build",), 0),
    ("rankings export", ("rankings/export",), 0),
)


def _sum(phases: dict, names) -> dict[str, float] | None:
    if isinstance(names, str):
        prefix, suffix = names.split("*")
        names = [n for n in phases if n.startswith(prefix) and n.endswith(suffix)]
    rows = [phases[n] for n in names if n in phases]
    if not rows:
        return None
    return {k: round(sum(r[k] for r in rows), 2) for k in ("wall_s", "cpu_s", "children_cpu_s")}


def summarize(
    phases: dict, runs: list[dict], events: dict, dbt: dict, end_to_end_s: float | None = None
) -> list[tuple[str, float | None, float | None, int]]:
    """The printed rows: (label, wall s, CPU s, indent). Rows nest: a row's children are parts of
    it; the Dagster rows at the end overlap the rows above (events are written inside steps)."""
    rows: list[tuple[str, float | None, float | None, int]] = []
    used: set[str] = set()
    for label, names, indent in _LAYOUT:
        if names is None:
            rows.append((label, None, None, indent))
            continue
        total = _sum(phases, names)
        if isinstance(names, str):
            prefix, suffix = names.split("*")
            used |= {n for n in phases if n.startswith(prefix) and n.endswith(suffix)}
        else:
            used |= set(names)
        if total:
            rows.append((label, total["wall_s"], total["cpu_s"] + total["children_cpu_s"], indent))
        if names == "clean/parse/*/posts":  # then each platform's whole parse (the four rows above, summed)
            for platform in sorted({n.split("/")[2] for n in phases if n.startswith("clean/parse/")}):
                whole = phases.get(f"clean/parse/{platform}")
                if whole:
                    used.add(f"clean/parse/{platform}")
                    rows.append((f"parse {platform}, all of it", whole["wall_s"], whole["cpu_s"], 2))
        if names == ("dbt/build",) and dbt:  # dbt's own timing of the build, inside that row
            rows.append(("dbt elapsed (its run_results.json)", dbt["elapsed_s"], None, 1))
            rows.append((f"{len(dbt['models'])} models", dbt["models_s"], None, 2))
            for name, seconds in list(dbt["models"].items())[:4]:
                rows.append((name, seconds, None, 3))
            rows.append((f"{dbt['tests']['count']} tests", dbt["tests"]["seconds"], None, 2))
    checks = {n: t for n, t in phases.items() if n.startswith("checks/")}
    used |= set(checks)
    gx = {n: t for n, t in phases.items() if n.startswith("gx/")}
    used |= set(gx)
    total = _sum(checks, list(checks))
    if total:
        rows.append((f"asset checks ({len(checks)})", total["wall_s"], total["cpu_s"], 0))
        for name, t in sorted(checks.items(), key=lambda kv: -kv[1]["wall_s"])[:6]:
            rows.append((name.removeprefix("checks/"), t["wall_s"], t["cpu_s"], 1))
    total = _sum(gx, list(gx))
    if total:
        rows.append(("of which Great Expectations suites", total["wall_s"], total["cpu_s"], 1))
        for part in ("sample", "aggregates", "validate"):
            sub = _sum(gx, [n for n in gx if n.endswith("/" + part)])
            if sub:
                label = "GX validate (the first imports great_expectations)" if part == "validate" else f"GX {part}"
                rows.append((label, sub["wall_s"], sub["cpu_s"], 2))
    other = {n: t for n, t in phases.items() if n not in used}
    for name, t in sorted(other.items()):
        rows.append((name, t["wall_s"], t["cpu_s"], 0))
    steps = sum(sum(r["steps"].values()) for r in runs)
    wall = sum(r["wall_s"] for r in runs)
    rows.append((f"Dagster: {len(runs)} runs, {sum(r['events'] for r in runs):,} events", None, None, 0))
    if end_to_end_s is not None:
        rows.append(("end to end outside the runs (definitions, launching)", round(end_to_end_s - wall, 2), None, 1))
    rows.append(("runs' wall outside their steps (start, plan, resources)", round(wall - steps, 2), None, 1))
    rows.append(
        (
            f"{events['events']:,} events handed to the instance (inside the rows above)",
            round(events["wall_s"], 2),
            events["cpu_s"],
            1,
        )
    )
    return rows


def format_rows(rows: list[tuple[str, float | None, float | None, int]]) -> list[str]:
    lines = [f"    {'phase':<62} {'wall s':>8} {'CPU s':>8}"]
    for label, wall, cpu, indent in rows:
        name = ("  " * indent + label)[:62]
        lines.append(
            f"    {name:<62} {'' if wall is None else f'{wall:8.2f}':>8} {'' if cpu is None else f'{cpu:8.2f}':>8}"
        )
    return lines
