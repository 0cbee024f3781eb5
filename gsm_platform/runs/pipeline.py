"""What `gsm materialize`, `gsm update` and `gsm backfill` do through Dagster: which jobs, in
which order, over which partitions, in the Dagster instance of GSM_HOME (each launched by
launch.py), and what the runs said that the terminal shows (the landing's refusals and
repairs, the api pull's reports). The command line (cli.py) parses the arguments and prints
the summaries these return."""

from __future__ import annotations

import os
from pathlib import Path

from gsm_platform import phases
from gsm_platform.paths import dagster_home, gsm_home, under_home, warehouse_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, RegistryError, load_editions, load_registry
from gsm_platform.runs.launch import RUN_TAGS, RunFailed, execute
from gsm_platform.runs.months import month_words, months_to_clean, today_wib, uncleaned_months


def prepare_environment() -> Path:
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


def clean_runs(instance, log_file: Path, months: list[str], tags: dict[str, str] | None = None) -> list:
    """One clean run per stretch of the months contiguous in Dagster's stored order (normally one)."""
    from assets.jobs import CLEAN_JOB
    from assets.partitions import month_runs

    return [
        execute(CLEAN_JOB, log_file, instance=instance, tags={**run_tags, **(tags or {})})
        for run_tags in month_runs(instance, months)
    ]


def run_edition(
    edition_id: str, source: str, input_dir: str | None, registry: str | None, editions: str | None, quiet: bool = False
) -> dict:
    """Materialize everything an edition needs through Dagster, recorded in GSM_HOME's instance."""
    import dagster as dg

    from assets.jobs import AWARD_JOB, INGEST_JOB, OUTLOOK_JOB
    from assets.partitions import month_runs
    from gsm_platform.resources import save_inputs

    home = prepare_environment()
    registry_path = str(Path(registry).resolve()) if registry else str(DEFAULT_REGISTRY)
    editions_path = str(Path(editions).resolve()) if editions else str(DEFAULT_EDITIONS)
    load_registry(registry_path)
    eds = load_editions(editions_path)
    eds.get(edition_id)
    if source == "files" and not input_dir:
        raise RegistryError("--source files needs --input DIR (a directory of recorded envelopes)")
    save_inputs(
        {
            "registry_path": registry_path,
            "editions_path": editions_path,
            "source": source,
            "input_dir": str(Path(input_dir).resolve()) if input_dir else "",
            "edition": edition_id,
        }
    )
    with phases.phase("runs/definitions"):  # `dbt parse` when this GSM_HOME has no manifest yet
        from gsm_platform.resources import dbt_project

        dbt_project()  # (the definitions themselves load with the first run, origin.py)
    instance = dg.DagsterInstance.get()
    say = (lambda *_: None) if quiet else print
    log_file = under_home("logs", f"materialize-{edition_id}.log", home=home)
    say(f"[1/4] registry and landing ({source})")
    for line in landing_notes(execute(INGEST_JOB, log_file, instance=instance)):
        say(line)
    months = months_to_clean(source, instance)
    if not months:
        raise RegistryError("nothing landed: the input has no envelope with a readable fetch time")
    runs = len(month_runs(instance, months))
    say(
        f"[2/4] raw pulls and cleaned snapshots of {month_words(months)} ({runs} run{'s' if runs > 1 else ''})"
        + (
            f"; pulling edition {edition_id}'s window {eds.get(edition_id).start} .. {eds.get(edition_id).end} "
            "(end excluded), progress in the log"
            if source == "api"
            else ""
        )
    )
    try:
        cleaned = clean_runs(instance, log_file, months)
    except RunFailed as exc:
        if source == "api":  # what was pulled and landed before the failure
            for line in pull_reports(exc.result):
                say(line)
        raise
    if source == "api":
        for result in cleaned:
            for line in pull_reports(result):
                say(line)
        late = [m for m in uncleaned_months(after=today_wib()) if m not in months]
        if late:  # the pull went past midnight (WIB): clean the new day too, without pulling again
            from assets.raw import API_PULL_TAG

            say(f"      and {month_words(late)} (pulled after midnight)")
            clean_runs(instance, log_file, late, {API_PULL_TAG: "skip"})
            months = sorted({*months, *late})
    say(f"[3/4] award metrics (dbt) and rankings for edition {edition_id}")
    result = execute(AWARD_JOB, log_file, instance=instance, partition_key=edition_id)
    say(f"[4/4] the GSM Outlook of edition {edition_id} (dbt)")
    execute(OUTLOOK_JOB, log_file, instance=instance, partition_key=edition_id)
    return {"home": str(home), "run_id": result.run_id, "fetch_months": sorted(months), "log": str(log_file)}


def run_update(quiet: bool = False, input_dir: str | None = None) -> dict:
    """One more batch of pulls (a day, usually), through Dagster: land what the input holds,
    clean the fetch months of the envelopes no cleaning has read yet (for the api source: pull
    today), then rebuild only the built editions those months can change (assets/edition_impact.py).
    With input_dir (recorded envelopes), this GSM_HOME switches to the files source with that
    directory, for this and later runs (as `materialize --source files`). Returns what was
    done, with each phase's seconds."""
    import time

    import dagster as dg

    from assets.edition_impact import built_edition_impacts
    from assets.jobs import AWARD_JOB, AWARD_SELECTION, INGEST_JOB, OUTLOOK_JOB
    from gsm_platform.resources import GsmInputs, save_inputs
    from gsm_platform.runs import origin
    from gsm_platform.warehouse import session

    if input_dir:
        save_inputs(GsmInputs().resolved() | {"source": "files", "input_dir": str(Path(input_dir).resolve())})
    home = prepare_environment()
    if not warehouse_path().exists():
        raise RegistryError(f"no warehouse at {warehouse_path()}: run `gsm materialize --edition ID` first")
    source = GsmInputs().resolved()["source"]
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
    ingest = timed("ingest_s", lambda: execute(INGEST_JOB, log_file, instance=instance))
    for line in landing_notes(ingest):
        say(line)
    months = months_to_clean("api", instance) if source == "api" else uncleaned_months()
    if months:
        say(f"[2/3] raw pulls and cleaned snapshots of {month_words(months)}")
        timed("clean_s", lambda: clean_runs(instance, log_file, months))
    else:
        say("[2/3] nothing new to clean")
    award_keys = AWARD_SELECTION.resolve(origin.recon_repository().get_definition().asset_graph)

    def impacts():
        with session(read_only=True) as conn:
            return built_edition_impacts(instance, conn, award_keys)

    decided = timed("impact_s", impacts)
    rebuilt = []
    for impact in decided:
        say(f"[3/3] edition {impact.edition_id}: {'rebuild' if impact.changed else 'stands'} - {impact.reason}")
        if impact.changed:
            timed(
                f"award_{impact.edition_id}_s",
                lambda edition_id=impact.edition_id: [
                    execute(job, log_file, instance=instance, partition_key=edition_id)
                    for job in (AWARD_JOB, OUTLOOK_JOB)  # the outlook after its award
                ],
            )
            rebuilt.append(impact.edition_id)
    if not decided:
        say("[3/3] no edition has a build yet: nothing to rebuild")
    return {
        "home": str(home),
        "fetch_months": months,
        "rebuilt": rebuilt,
        "editions": [i.metadata() for i in decided],
        "timings": timings,
        "log": str(log_file),
    }


def run_backfill(
    edition_id: str, source: str | None, input_dir: str | None, registry: str | None, editions: str | None
) -> dict:
    """The yearly backfill of an edition, in process: the runs the `yearly_edition_backfill`
    sensor asks the backfill daemon for (landing, the fetch days in one single-run backfill,
    the edition's metrics), each tagged gsm/backfill=<edition>. Inputs default to this
    GSM_HOME's last ones (config.json), then to the shipped files. Returns run_edition's
    summary with the backfill id and the number of runs it took."""
    import uuid

    import dagster as dg

    from assets.backfill import BACKFILL_TAG
    from gsm_platform.resources import GsmInputs

    saved = GsmInputs().resolved()
    source = source or saved["source"]
    input_dir = input_dir or (saved["input_dir"] if source == "files" else None)
    backfill_id = uuid.uuid4().hex[:8]
    RUN_TAGS.update({BACKFILL_TAG: edition_id, f"{BACKFILL_TAG}_id": backfill_id})
    try:
        summary = run_edition(
            edition_id, source, input_dir, registry or saved["registry_path"], editions or saved["editions_path"]
        )
    finally:
        RUN_TAGS.clear()
    runs = dg.DagsterInstance.get().get_runs(filters=dg.RunsFilter(tags={f"{BACKFILL_TAG}_id": backfill_id}))
    return {**summary, "backfill_id": backfill_id, "runs": len(runs)}


def landing_notes(result) -> list[str]:
    """What the landing refused (symbolic links out of the input...) or repaired (files an
    earlier, interrupted landing left), from the landing asset's metadata."""
    lines = []
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.path != ["landing"]:
            continue
        refused = mat.metadata["refused"].value if "refused" in mat.metadata else []
        for item in refused:
            lines.append(f"      refused input file {item['path']}: {item['reason']}")
        if "reindexed" in mat.metadata:
            lines.append(
                f"      indexed again {len(mat.metadata['reindexed'].value)} landed file(s) an interrupted "
                "landing left without all their envelopes"
            )
        if "removed_unfinished_copies" in mat.metadata:
            lines.append(
                f"      removed {mat.metadata['removed_unfinished_copies'].value} unfinished cop(ies) an "
                "interrupted landing left under landing/"
            )
    return lines


def pull_reports(result) -> list[str]:
    """The api pull's per-platform reports and warnings, from the raw pulls' metadata."""
    reports = []
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.path[0] == "raw" and "pull_report" in mat.metadata:
            reports.append(mat.metadata["pull_report"].value)
    for event in result.all_events:  # a failed pull (rejected token) carries them in its failure
        failure = event.step_failure_data if event.is_step_failure else None
        if failure is not None and failure.user_failure_data is not None:
            meta = failure.user_failure_data.metadata or {}
            reports += [v.value for k, v in sorted(meta.items()) if k.endswith("_pull_report")]
    return ["  " + line for report in reports for line in str(report).splitlines()]
