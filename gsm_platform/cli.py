"""The `gsm` command line: the arguments (names and flags are a contract, see README) and thin
commands that print what the library returns. What materialize, update and backfill run through
Dagster is gsm_platform/runs/pipeline.py; the audit commands' content gsm_platform/audit/."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path

from gsm_platform.paths import OutsideHome, gsm_home, warehouse_path
from gsm_platform.registry import RegistryError
from gsm_platform.vocabulary import SOURCES


def cmd_generate(args: argparse.Namespace) -> int:
    from gsm_platform.sources.demo import generate

    scale: str | float = args.scale
    if scale not in ("quick", "award"):
        try:
            scale = float(scale)
        except ValueError:
            print(f"gsm generate: --scale must be quick, award or a number (got {args.scale!r})", file=sys.stderr)
            return 2
    report = generate(Path(args.out), scale, outlook_demo=args.outlook_demo)
    print(f"wrote {args.out}: {report}")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from gsm_platform.runs.pipeline import run_update

    summary = run_update(input_dir=args.input)
    print(f"\nrebuilt: {', '.join(summary['rebuilt']) or 'no edition'}; state: {summary['home']}")
    return 0


def summary_lines(conn, edition_id: str) -> list[str]:
    """What `gsm materialize` prints after a run: the rankings, then the counts of the whole
    landing and of the edition's fetch days (gsm_platform.accounting: the numbers `gsm quality`,
    the UI and the report show for the same scope)."""
    from gsm_platform import accounting, rankings

    rows = rankings.ranking_rows(conn, edition_id)
    out = [
        f"edition {edition_id}: {len(rows)} ranking rows, {sum(r['nominee'] for r in rows)} nominees, "
        f"{len({r['institution_id'] for r in rows})} institutions ranked"
    ]
    for scope in (accounting.WHOLE_LANDING, accounting.edition_scope(conn, edition_id)):
        lines = accounting.counts(conn, scope).lines()
        out += [lines[0]] + ["  " + line for line in lines[1:]]
    return out


def cmd_materialize(args: argparse.Namespace) -> int:
    from gsm_platform.runs.pipeline import run_edition
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
            raise RegistryError(
                f"the warehouse at {path} has no rankings yet (the award metrics were never built): "
                "run `gsm materialize --edition ID` first"
            )
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
    from checks.outcome import relation_exists
    from gsm_platform import rankings
    from gsm_platform.audit.quality import format_quality_table, quality_report

    with _open_warehouse(needs_rankings=False) as conn:
        edition = args.edition or rankings.latest_edition(conn)
        report = quality_report(conn, edition)
        marts = relation_exists(conn, *rankings.RANKINGS_RELATION.split("."))
    if not marts:  # on stderr: --format json stays JSON
        print(
            "gsm quality: no rankings yet (the award metrics were never built): the checks of the marts did not "
            "run; `gsm materialize --edition ID` builds them",
            file=sys.stderr,
        )
    if args.format == "json":
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(format_quality_table(report))
    return 1 if any(not c["passed"] and c["severity"] == "ERROR" for c in report["checks"]) else 0


def cmd_explain(args: argparse.Namespace) -> int:
    from gsm_platform.audit import explain

    with _open_warehouse() as conn:
        try:
            sheet = explain.explain(conn, gsm_home(), args.edition, args.category, args.institution, args.cluster)
        except explain.SourceIntegrityError as exc:
            print(f"gsm explain: {exc}", file=sys.stderr)
            return 3
    print(explain.to_json(sheet) if args.format == "json" else explain.to_text(sheet))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from gsm_platform.audit import report

    with _open_warehouse() as conn:
        out = report.write_report(
            conn, gsm_home(), args.edition, Path(args.out) if args.out else None, Path(args.jury) if args.jury else None
        )
    print(f"wrote {out}")
    return 0


def cmd_jury(args: argparse.Namespace) -> int:
    from gsm_platform.audit import jury

    with _open_warehouse() as conn:
        decisions = jury.load_jury(args.decisions, conn, args.edition)
    print(jury.format_summary(decisions, args.edition))
    return 0


def cmd_outlook(args: argparse.Namespace) -> int:
    from gsm_platform.audit import outlook, outlook_html
    from gsm_platform.registry import check_edition_id, shown

    if args.compare is not None:
        try:
            check_edition_id(args.compare)
        except ValueError as exc:
            raise RegistryError(f"--compare {shown(args.compare)}: {exc}") from None
    with _open_warehouse() as conn:
        if args.format == "json":
            print(outlook.to_json(outlook.outlook(conn, args.edition, args.compare)))
            return 0
        out = outlook_html.write_outlook(conn, gsm_home(), args.edition, args.compare)
    print(f"wrote {out}")
    return 0


def _add_audit_commands(sub) -> None:
    """explain, report, jury, outlook (docs/audit.md, docs/outlook.md)."""
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

    o = sub.add_parser("outlook", help="the GSM Outlook of an edition: HTML (GSM_HOME/reports/<edition>) or JSON")
    o.add_argument("--edition", required=True)
    o.add_argument("--compare", help="an earlier edition, side by side")
    o.add_argument("--format", choices=("html", "json"), default="html")
    o.set_defaults(func=cmd_outlook)


def cmd_backfill(args: argparse.Namespace) -> int:
    """The yearly backfill of an edition, in process (gsm_platform/runs/pipeline.py: the runs the
    `yearly_edition_backfill` sensor asks the backfill daemon for)."""
    from assets.backfill import BACKFILL_TAG
    from gsm_platform.runs.months import month_words
    from gsm_platform.runs.pipeline import run_backfill

    summary = run_backfill(args.edition, args.source, args.input, args.registry, args.editions)
    print(
        f"\nedition {args.edition}: backfilled {month_words(summary['fetch_months'])} "
        f"and the edition's metrics in {summary['runs']} Dagster runs tagged {BACKFILL_TAG}={args.edition} "
        f"({f'{BACKFILL_TAG}_id'}={summary['backfill_id']})"
    )
    print(f"state: {summary['home']} (`make ui` to browse the runs)")
    return 0


def _add_edition_inputs(parser: argparse.ArgumentParser, source_default: str | None, files_default: str) -> None:
    """The flags that say what an edition is built from (materialize and backfill)."""
    parser.add_argument("--edition", required=True)
    parser.add_argument(
        "--source",
        choices=SOURCES,
        default=source_default,
        help="default: " + (source_default or "this GSM_HOME's last source"),
    )
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
    g.add_argument(
        "--outlook-demo",
        action="store_true",
        help="with --scale quick: what the GSM Outlook's demo needs: an earlier edition with data (for --compare) "
        "and a merger inside the window",
    )
    g.set_defaults(func=cmd_generate)

    m = sub.add_parser("materialize", help="materialize every asset an edition needs, through Dagster")
    _add_edition_inputs(m, source_default="demo", files_default="the shipped one")
    m.set_defaults(func=cmd_materialize)

    b = sub.add_parser("backfill", help="the yearly backfill of an edition, in a bounded number of Dagster runs")
    _add_edition_inputs(b, source_default=None, files_default="this GSM_HOME's last, else the shipped one")
    b.set_defaults(func=cmd_backfill)

    u = sub.add_parser("update", help="land new pulls, clean their months, rebuild only the editions they change")
    u.add_argument(
        "--input",
        help="directory of new recorded envelopes: switches this GSM_HOME to the files source "
        "with that directory, for this and later runs",
    )
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
    from gsm_platform.runs.failures import advice, exception_text
    from gsm_platform.runs.recovery import PoolBusy
    from gsm_platform.warehouse import WarehouseBusy

    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops gsm as Ctrl-C does
        # and Ctrl-C stops it whatever it inherited: Python leaves SIGINT ignored when the parent
        # ignored it (a background job of a script, nohup, a pytest-xdist worker), and `gsm` then
        # waited out its whole bound (600 s) deaf to Ctrl-C (py-spy: asleep in wait_for_pool)
        signal.signal(signal.SIGINT, signal.default_int_handler)
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
        print(
            f"gsm {args.command}: interrupted; what was committed stays, the same command run again goes on from there",
            file=sys.stderr,
        )
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
