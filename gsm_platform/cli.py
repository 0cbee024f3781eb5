"""The `gsm` command line. Names and flags are a contract (see README)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

from gsm_platform.months_to_clean import month_words, months_to_clean, today_wib, uncleaned_months
from gsm_platform.paths import OutsideHome, dagster_home, gsm_home, under_home, warehouse_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, RegistryError, load_editions, load_registry
from gsm_platform.runs import RUN_TAGS as _RUN_TAGS
from gsm_platform.runs import RunFailed
from gsm_platform.runs import execute as _execute
from gsm_platform.runs import landing_notes as _landing_notes
from gsm_platform.runs import pull_reports as _pull_reports


def _prepare_environment() -> Path:
    """Point Dagster and dbt at this GSM_HOME."""
    home = gsm_home()
    home.mkdir(parents=True, exist_ok=True)
    dh = dagster_home(home)
    dh.mkdir(parents=True, exist_ok=True)
    os.environ["DAGSTER_HOME"] = str(dh)
    os.environ["GSM_WAREHOUSE"] = str(warehouse_path(home))  # dbt's profile reads it
    yaml_file = dh / "dagster.yaml"
    if not yaml_file.exists():
        # in-process runs of `gsm` and the UI share this instance; telemetry off (no network here)
        yaml_file.write_text("telemetry:\n  enabled: false\nconcurrency:\n  pools:\n    default_limit: 1\n")
    return home


def cmd_generate(args: argparse.Namespace) -> int:
    from gsm_platform.sources.demo import generate

    scale: str | float = args.scale
    if scale not in ("quick", "award"):
        try:
            scale = float(scale)
        except ValueError:
            print(f"gsm generate: --scale must be quick, award or a number (got {args.scale!r})", file=sys.stderr)
            return 2
    report = generate(Path(args.out), scale)
    print(f"wrote {args.out}: {report}")
    return 0


def _clean_runs(defs, instance, log_file: Path, months: list[str], tags: dict[str, str] | None = None) -> list:
    """One clean run per stretch of the months contiguous in Dagster's stored order (normally one)."""
    from assets.jobs import CLEAN_JOB
    from assets.partitions import month_runs

    return [_execute(defs.resolve_job_def(CLEAN_JOB), log_file, instance=instance, tags={**run_tags, **(tags or {})})
            for run_tags in month_runs(instance, months)]


def run_edition(edition_id: str, source: str, input_dir: str | None, registry: str | None, editions: str | None,
                quiet: bool = False) -> dict:
    """Materialize everything an edition needs through Dagster, recorded in GSM_HOME's instance."""
    import dagster as dg

    from assets.jobs import AWARD_JOB, INGEST_JOB
    from assets.partitions import month_runs
    from gsm_platform.resources import save_inputs
    from gsm_platform.definitions import build_definitions

    home = _prepare_environment()
    registry_path = str(Path(registry).resolve()) if registry else str(DEFAULT_REGISTRY)
    editions_path = str(Path(editions).resolve()) if editions else str(DEFAULT_EDITIONS)
    load_registry(registry_path)
    eds = load_editions(editions_path)
    eds.get(edition_id)
    if source == "files" and not input_dir:
        raise RegistryError("--source files needs --input DIR (a directory of recorded envelopes)")
    save_inputs({"registry_path": registry_path, "editions_path": editions_path, "source": source,
                 "input_dir": str(Path(input_dir).resolve()) if input_dir else "", "edition": edition_id})
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    say = (lambda *_: None) if quiet else print
    log_file = under_home("logs", f"materialize-{edition_id}.log", home=home)
    say(f"[1/3] registry and landing ({source})")
    for line in _landing_notes(_execute(defs.resolve_job_def(INGEST_JOB), log_file, instance=instance)):
        say(line)
    months = months_to_clean(source, instance)
    if not months:
        raise RegistryError("nothing landed: the input has no envelope with a readable fetch time")
    runs = len(month_runs(instance, months))
    say(f"[2/3] raw pulls and cleaned snapshots of {month_words(months)} ({runs} run{'s' if runs > 1 else ''})"
        + (f"; pulling edition {edition_id}'s window {eds.get(edition_id).start} .. {eds.get(edition_id).end} "
           "(end excluded), progress in the log" if source == "api" else ""))
    try:
        cleaned = _clean_runs(defs, instance, log_file, months)
    except RunFailed as exc:
        if source == "api":  # what was pulled and landed before the failure
            for line in _pull_reports(exc.result):
                say(line)
        raise
    if source == "api":
        for result in cleaned:
            for line in _pull_reports(result):
                say(line)
        late = [m for m in uncleaned_months(after=today_wib()) if m not in months]
        if late:  # the pull went past midnight (WIB): clean the new day too, without pulling again
            from assets.raw import API_PULL_TAG

            say(f"      and {month_words(late)} (pulled after midnight)")
            _clean_runs(defs, instance, log_file, late, {API_PULL_TAG: "skip"})
            months = sorted({*months, *late})
    say(f"[3/3] award metrics (dbt) and rankings for edition {edition_id}")
    result = _execute(defs.resolve_job_def(AWARD_JOB), log_file, instance=instance, partition_key=edition_id)
    return {"home": str(home), "run_id": result.run_id, "fetch_months": sorted(months), "log": str(log_file)}


def run_update(quiet: bool = False) -> dict:
    """One more batch of pulls (a day, usually), through Dagster: land what the input holds,
    clean the fetch months of the envelopes no cleaning has read yet (for the api source: pull
    today), then rebuild only the built editions those months can change (assets/edition_impact.py).
    Returns what was done, with each phase's seconds."""
    import time

    import dagster as dg

    from assets.jobs import AWARD_JOB, AWARD_SELECTION, INGEST_JOB
    from assets.edition_impact import built_edition_impacts
    from gsm_platform.resources import GsmInputs
    from gsm_platform.definitions import build_definitions
    from gsm_platform.warehouse import session

    home = _prepare_environment()
    if not warehouse_path().exists():
        raise RegistryError(f"no warehouse at {warehouse_path()}: run `gsm materialize --edition ID` first")
    source = GsmInputs().resolved()["source"]
    defs = build_definitions()
    instance = dg.DagsterInstance.get()
    say = (lambda *_: None) if quiet else print
    log_file = home / "logs" / "update.log"
    timings: dict[str, float] = {}

    def timed(name, fn):
        started = time.perf_counter()
        out = fn()
        timings[name] = round(time.perf_counter() - started, 2)
        return out

    say(f"[1/3] landing ({source})")
    ingest = timed("ingest_s", lambda: _execute(defs.resolve_job_def(INGEST_JOB), log_file, instance=instance))
    for line in _landing_notes(ingest):
        say(line)
    months = months_to_clean("api", instance) if source == "api" else uncleaned_months()
    if months:
        say(f"[2/3] raw pulls and cleaned snapshots of {month_words(months)}")
        timed("clean_s", lambda: _clean_runs(defs, instance, log_file, months))
    else:
        say("[2/3] nothing new to clean")
    award_keys = AWARD_SELECTION.resolve(defs.resolve_asset_graph())

    def impacts():
        with session(read_only=True) as conn:
            return built_edition_impacts(instance, conn, award_keys)

    decided = timed("impact_s", impacts)
    rebuilt = []
    for impact in decided:
        say(f"[3/3] edition {impact.edition_id}: {'rebuild' if impact.changed else 'stands'} - {impact.reason}")
        if impact.changed:
            timed(f"award_{impact.edition_id}_s", lambda: _execute(
                defs.resolve_job_def(AWARD_JOB), log_file, instance=instance, partition_key=impact.edition_id))
            rebuilt.append(impact.edition_id)
    if not decided:
        say("[3/3] no edition has a build yet: nothing to rebuild")
    return {"home": str(home), "fetch_months": months, "rebuilt": rebuilt,
            "editions": [i.metadata() for i in decided], "timings": timings, "log": str(log_file)}


def cmd_update(args: argparse.Namespace) -> int:
    from gsm_platform.resources import GsmInputs, save_inputs

    if args.input:  # recorded envelopes: the files source, from now on (as `materialize --source files`)
        save_inputs(GsmInputs().resolved() | {"source": "files", "input_dir": str(Path(args.input).resolve())})
    summary = run_update()
    print(f"\nrebuilt: {', '.join(summary['rebuilt']) or 'no edition'}; state: {summary['home']}")
    return 0


def summary_lines(conn, edition_id: str) -> list[str]:
    """What `gsm materialize` prints after a run: the rankings, then the counts of the whole
    landing and of the edition's fetch days (gsm_platform.accounting: the numbers `gsm quality`,
    the UI and the report show for the same scope)."""
    from gsm_platform import accounting, rankings

    rows = rankings.ranking_rows(conn, edition_id)
    out = [f"edition {edition_id}: {len(rows)} ranking rows, {sum(r['nominee'] for r in rows)} nominees, "
           f"{len({r['institution_id'] for r in rows})} institutions ranked"]
    for scope in (accounting.WHOLE_LANDING, accounting.edition_scope(conn, edition_id)):
        lines = accounting.counts(conn, scope).lines()
        out += [lines[0]] + ["  " + line for line in lines[1:]]
    return out


def cmd_materialize(args: argparse.Namespace) -> int:
    from gsm_platform.warehouse import session

    summary = run_edition(args.edition, args.source, args.input, args.registry, args.editions)
    with session(read_only=True) as conn:
        print("\n" + "\n".join(summary_lines(conn, args.edition)))
    print(f"state: {summary['home']} (Dagster runs recorded there; `make ui` to browse)")
    return 0


@contextlib.contextmanager
def _open_warehouse(needs_rankings: bool = True):
    """The warehouse, read-only, behind its gate (waiting, bounded and saying so, while a writer
    holds it). With needs_rankings, a warehouse without the rankings mart (dbt never ran) is
    said in one line."""
    from checks.outcome import relation_exists
    from gsm_platform.rankings import RANKINGS_RELATION
    from gsm_platform.warehouse import session

    path = warehouse_path()
    if not path.exists():
        raise RegistryError(f"no warehouse at {path}: run `gsm materialize --edition ID` first")
    with session(path, read_only=True) as conn:
        if needs_rankings and not relation_exists(conn, *RANKINGS_RELATION.split(".")):
            raise RegistryError(f"the warehouse at {path} has no rankings yet (the award metrics were never built): "
                                "run `gsm materialize --edition ID` first")
        yield conn


def cmd_rankings(args: argparse.Namespace) -> int:
    from gsm_platform import rankings

    with _open_warehouse() as conn:
        edition = args.edition or rankings.latest_edition(conn)
        if edition is None:
            raise RegistryError("no edition has rankings yet: run `gsm materialize --edition ID` first")
        rows = rankings.ranking_rows(conn, edition, args.category, args.cluster)
    if args.format == "json":
        print(rankings.to_json(rows))
    elif args.format == "csv":
        sys.stdout.write(rankings.to_csv(rows))
    else:
        print(f"GSM Award {edition}: rankings" + (" (nominees only)" if args.nominees else ""))
        print(rankings.to_table(rows, nominees_only=args.nominees))
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    """Reconciliation, quarantine and every layer's checks; exit 1 when an ERROR check fails."""
    from gsm_platform import rankings
    from gsm_platform.quality import format_quality_table, quality_report

    from checks.outcome import relation_exists

    with _open_warehouse(needs_rankings=False) as conn:
        edition = args.edition or rankings.latest_edition(conn)
        report = quality_report(conn, edition)
        marts = relation_exists(conn, *rankings.RANKINGS_RELATION.split("."))
    if not marts:  # on stderr: --format json stays JSON
        print("gsm quality: no rankings yet (the award metrics were never built): the checks of the marts did not "
              "run; `gsm materialize --edition ID` builds them", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_quality_table(report))
    return 1 if any(not c["passed"] and c["severity"] == "ERROR" for c in report["checks"]) else 0


def cmd_explain(args: argparse.Namespace) -> int:
    from gsm_platform import explain

    with _open_warehouse() as conn:
        try:
            sheet = explain.explain(conn, gsm_home(), args.edition, args.category, args.institution, args.cluster)
        except explain.SourceIntegrityError as exc:
            print(f"gsm explain: {exc}", file=sys.stderr)
            return 3
    print(explain.to_json(sheet) if args.format == "json" else explain.to_text(sheet))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from gsm_platform import report

    with _open_warehouse() as conn:
        out = report.write_report(conn, gsm_home(), args.edition, Path(args.out) if args.out else None,
                                  Path(args.jury) if args.jury else None)
    print(f"wrote {out}")
    return 0


def cmd_jury(args: argparse.Namespace) -> int:
    from gsm_platform import jury

    with _open_warehouse() as conn:
        decisions = jury.load_jury(args.decisions, conn, args.edition)
    print(jury.format_summary(decisions, args.edition))
    return 0


def _add_audit_commands(sub) -> None:
    """explain, report, jury (docs/audit.md)."""
    x = sub.add_parser("explain", help="an auditor's worksheet of one score, down to the landed files")
    x.add_argument("--edition", required=True)
    x.add_argument("--category", required=True)
    x.add_argument("--institution", required=True)
    x.add_argument("--cluster", help="optional: checked against the institution's cluster")
    x.add_argument("--format", choices=("text", "json"), default="text")
    x.set_defaults(func=cmd_explain)

    h = sub.add_parser("report", help="static HTML report for the jury and auditors")
    h.add_argument("--edition", required=True)
    h.add_argument("--out", help="output directory (default GSM_HOME/reports/<edition>)")
    h.add_argument("--jury", help="jury decisions YAML (default GSM_HOME/jury/<edition>.yaml when present)")
    h.set_defaults(func=cmd_report)

    j = sub.add_parser("jury", help="validate a jury decisions file against the computed rankings")
    j.add_argument("--edition", required=True)
    j.add_argument("--decisions", required=True, help="jury decisions YAML (docs/jury.example.yaml)")
    j.set_defaults(func=cmd_jury)


def cmd_backfill(args: argparse.Namespace) -> int:
    """The yearly backfill of an edition, in process: the runs the `yearly_edition_backfill`
    sensor asks the backfill daemon for (landing, the fetch days in one single-run backfill,
    the edition's metrics), each tagged gsm/backfill=<edition>. Inputs default to this
    GSM_HOME's last ones (config.json), then to the shipped files."""
    import uuid

    import dagster as dg

    from assets.backfill import BACKFILL_TAG
    from gsm_platform.resources import GsmInputs

    saved = GsmInputs().resolved()
    source = args.source or saved["source"]
    input_dir = args.input or (saved["input_dir"] if source == "files" else None)
    backfill_id = uuid.uuid4().hex[:8]
    _RUN_TAGS.update({BACKFILL_TAG: args.edition, f"{BACKFILL_TAG}_id": backfill_id})
    try:
        summary = run_edition(args.edition, source, input_dir, args.registry or saved["registry_path"],
                              args.editions or saved["editions_path"])
    finally:
        _RUN_TAGS.clear()
    runs = dg.DagsterInstance.get().get_runs(filters=dg.RunsFilter(tags={f"{BACKFILL_TAG}_id": backfill_id}))
    print(f"\nedition {args.edition}: backfilled {month_words(summary['fetch_months'])} "
          f"and the edition's metrics in {len(runs)} Dagster runs tagged {BACKFILL_TAG}={args.edition} "
          f"({f'{BACKFILL_TAG}_id'}={backfill_id})")
    print(f"state: {summary['home']} (`make ui` to browse the runs)")
    return 0


def _add_edition_inputs(parser: argparse.ArgumentParser, source_default: str | None, files_default: str) -> None:
    """The flags that say what an edition is built from (materialize and backfill)."""
    parser.add_argument("--edition", required=True)
    parser.add_argument("--source", choices=("demo", "files", "api"), default=source_default,
                        help="default: " + (source_default or "this GSM_HOME's last source"))
    parser.add_argument("--input", help="directory of recorded envelopes (for --source files)")
    parser.add_argument("--registry", help=f"registry YAML (default: {files_default})")
    parser.add_argument("--editions", help=f"editions YAML (default: {files_default})")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gsm", description="Government Social Media award platform")
    sub = p.add_subparsers(dest="command", required=True)
    _add_audit_commands(sub)

    g = sub.add_parser("generate", help="write a deterministic demo data set (registry, editions, envelopes)")
    g.add_argument("--scale", default="quick", help="quick | award | a multiple of award scale (e.g. 0.1, 10)")
    g.add_argument("--out", required=True, help="output directory")
    g.set_defaults(func=cmd_generate)

    m = sub.add_parser("materialize", help="materialize every asset an edition needs, through Dagster")
    _add_edition_inputs(m, source_default="demo", files_default="the shipped one")
    m.set_defaults(func=cmd_materialize)

    b = sub.add_parser("backfill", help="the yearly backfill of an edition, in a bounded number of Dagster runs")
    _add_edition_inputs(b, source_default=None, files_default="this GSM_HOME's last, else the shipped one")
    b.set_defaults(func=cmd_backfill)

    u = sub.add_parser("update", help="land new pulls, clean their months, rebuild only the editions they change")
    u.add_argument("--input", help="directory of new recorded envelopes: switches this GSM_HOME to the files source "
                                   "with that directory, for this and later runs")
    u.set_defaults(func=cmd_update)

    r = sub.add_parser("rankings", help="print the rankings of an edition")
    r.add_argument("--edition", help="default: the latest edition with rankings")
    r.add_argument("--category")
    r.add_argument("--cluster")
    r.add_argument("--format", choices=("table", "json", "csv"), default="table")
    r.add_argument("--nominees", action="store_true", help="table: show nominees only")
    r.set_defaults(func=cmd_rankings)

    q = sub.add_parser("quality", help="reconciliation, quarantine and the checks of every layer")
    q.add_argument("--edition", help="default: the latest edition with rankings (without one: everything)")
    q.add_argument("--format", choices=("table", "json"), default="table")
    q.set_defaults(func=cmd_quality)
    return p


def main(argv: list[str] | None = None) -> int:
    from gsm_platform.registry import check_edition_id, shown

    from gsm_platform.failures import advice, exception_text
    from gsm_platform.recovery import PoolBusy
    from gsm_platform.warehouse import WarehouseBusy

    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops gsm as Ctrl-C does
    try:
        if getattr(args, "edition", None) is not None:
            try:
                check_edition_id(args.edition)
            except ValueError as exc:
                raise RegistryError(f"--edition {shown(args.edition)}: {exc}") from None
        return args.func(args)
    except (RegistryError, OutsideHome, WarehouseBusy, PoolBusy) as exc:
        print(f"gsm {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gsm {args.command}: interrupted; what was committed stays, the same command run again goes on "
              "from there", file=sys.stderr)
        return 130
    except Exception as exc:
        said = advice(exception_text(exc))
        if said is None:
            raise
        print(f"gsm {args.command}: {said}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `gsm ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
