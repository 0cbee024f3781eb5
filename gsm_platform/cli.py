"""The `gsm` command line. Names and flags are a contract (see README)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path

from gsm_platform.paths import dagster_home, gsm_home, warehouse_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, RegistryError, load_editions, load_registry

WIB = dt.timezone(dt.timedelta(hours=7))


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


def _fetch_day_range(source: str) -> tuple[dt.date, dt.date] | None:
    import duckdb

    if source == "api":
        today = dt.datetime.now(WIB).date()
        return today, today
    with duckdb.connect(str(warehouse_path()), read_only=True) as conn:
        lo, hi = conn.execute("SELECT min(fetch_date), max(fetch_date) FROM raw.envelopes").fetchone()
    if lo is None:
        return None
    last_partition = dt.datetime.now(WIB).date()  # end_offset=1: today is the last partition
    return max(lo, dt.date(2018, 1, 1)), min(hi, last_partition)


@contextlib.contextmanager
def _output_to(log_file: Path):
    """Sends what Dagster and dbt write to stdout/stderr (at the file-descriptor level, so the
    dbt subprocess too) into a log file, keeping the terminal for gsm's own summary. The full
    event log stays in the Dagster instance."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_file, "ab") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _execute(job_def, log_file: Path, **kwargs):
    """Runs a job in process into the GSM_HOME instance; on failure, says which step failed
    and where the log is, instead of a wall of Dagster events."""
    import dagster as dg

    with _output_to(log_file):
        result = job_def.execute_in_process(raise_on_error=False, **kwargs)
    if not result.success:
        failed = [e for e in result.all_events if e.is_step_failure or e.event_type_value == "ASSET_CHECK_EVALUATION"
                  and not e.event_specific_data.passed and e.event_specific_data.severity == dg.AssetCheckSeverity.ERROR]
        lines = []
        for e in failed:
            if e.is_step_failure:
                err = e.step_failure_data.error
                lines.append(f"  step {e.step_key} failed: {err.message.strip().splitlines()[-1] if err else 'see log'}")
            else:
                data = e.event_specific_data
                lines.append(f"  blocking check {data.check_name} on {data.asset_key.to_user_string()} failed: {data.description}")
        raise RunFailed(f"Dagster run {result.run_id} of job {job_def.name} failed:\n" + "\n".join(lines)
                        + f"\nfull log: {log_file}; events in the Dagster UI (make ui)")
    return result


class RunFailed(RegistryError):
    """A Dagster run of `gsm materialize`/`gsm backfill` did not succeed."""


def run_edition(edition_id: str, source: str, input_dir: str | None, registry: str | None, editions: str | None,
                quiet: bool = False) -> dict:
    """Materialize everything an edition needs through Dagster, recorded in GSM_HOME's instance."""
    import dagster as dg

    from assets.jobs import AWARD_JOB, CLEAN_JOB, INGEST_JOB
    from gsm_platform.config import save_inputs
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
    log_file = home / "logs" / f"materialize-{edition_id}.log"
    say(f"[1/3] registry and landing ({source})")
    _execute(defs.resolve_job_def(INGEST_JOB), log_file, instance=instance)
    days = _fetch_day_range(source)
    if days is None:
        raise RegistryError("nothing landed: the input has no readable envelope")
    say(f"[2/3] raw pulls and cleaned snapshots for fetch days {days[0]} .. {days[1]} (one run)")
    _execute(
        defs.resolve_job_def(CLEAN_JOB), log_file,
        instance=instance,
        tags={"dagster/asset_partition_range_start": days[0].isoformat(),
              "dagster/asset_partition_range_end": days[1].isoformat()},
    )
    say(f"[3/3] award metrics (dbt) and rankings for edition {edition_id}")
    result = _execute(defs.resolve_job_def(AWARD_JOB), log_file, instance=instance, partition_key=edition_id)
    return {"home": str(home), "run_id": result.run_id, "fetch_days": [str(days[0]), str(days[1])],
            "log": str(log_file)}


def cmd_materialize(args: argparse.Namespace) -> int:
    from gsm_platform import rankings
    from gsm_platform.warehouse import connect

    summary = run_edition(args.edition, args.source, args.input, args.registry, args.editions)
    with connect(read_only=True) as conn:
        recon = conn.execute(
            "SELECT sum(raw_records), sum(clean), sum(duplicates), sum(quarantined) FROM clean.reconciliation"
        ).fetchone()
        rows = rankings.ranking_rows(conn, args.edition)
    print(f"\nedition {args.edition}: {len(rows)} ranking rows, {sum(r['nominee'] for r in rows)} nominees, "
          f"{len({r['institution_id'] for r in rows})} institutions ranked")
    print(f"post records: {recon[0]} read = {recon[1]} clean + {recon[2]} duplicates + {recon[3]} quarantined")
    print(f"state: {summary['home']} (Dagster runs recorded there; `make ui` to browse)")
    return 0


def _open_warehouse():
    from gsm_platform.warehouse import connect

    path = warehouse_path()
    if not path.exists():
        raise RegistryError(f"no warehouse at {path}: run `gsm materialize --edition ID` first")
    return connect(path, read_only=True)


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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gsm", description="Government Social Media award platform")
    sub = p.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a deterministic demo data set (registry, editions, envelopes)")
    g.add_argument("--scale", default="quick", help="quick | award | a multiple of award scale (e.g. 0.1, 10)")
    g.add_argument("--out", required=True, help="output directory")
    g.set_defaults(func=cmd_generate)

    m = sub.add_parser("materialize", help="materialize every asset an edition needs, through Dagster")
    m.add_argument("--edition", required=True)
    m.add_argument("--source", choices=("demo", "files", "api"), default="demo")
    m.add_argument("--input", help="directory of recorded envelopes (for --source files)")
    m.add_argument("--registry", help="registry YAML (default: the shipped registry)")
    m.add_argument("--editions", help="editions YAML (default: the shipped editions)")
    m.set_defaults(func=cmd_materialize)

    r = sub.add_parser("rankings", help="print the rankings of an edition")
    r.add_argument("--edition", help="default: the latest edition with rankings")
    r.add_argument("--category")
    r.add_argument("--cluster")
    r.add_argument("--format", choices=("table", "json", "csv"), default="table")
    r.add_argument("--nominees", action="store_true", help="table: show nominees only")
    r.set_defaults(func=cmd_rankings)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RegistryError as exc:
        print(f"gsm {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
