"""What `gsm materialize`, `gsm update` and `gsm backfill` do through Dagster: which jobs, in
which order, over which partitions, in the Dagster instance of GSM_HOME (each launched by
launch.py), and what the runs said that the terminal shows (the landing's refusals and
repairs, the api pull's reports). The command line (cli.py) parses the arguments and prints
the summaries these return."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gsm_platform import phases
from gsm_platform.paths import dagster_home, gsm_home, under_home, warehouse_path
from gsm_platform.registry import DEFAULT_EDITIONS, DEFAULT_REGISTRY, RegistryError, load_editions, load_registry
from gsm_platform.runs.launch import RUN_TAGS, RunFailed, execute
from gsm_platform.runs.months import month_words, months_to_clean, today_wib, uncleaned_months

if TYPE_CHECKING:
    from gsm_platform.resources import RunInputs
    from gsm_platform.vocabulary import Source


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


def clean_runs(
    instance, log_file: Path, months: list[str], inputs: RunInputs, tags: dict[str, str] | None = None
) -> list:
    """One clean run per stretch of the months contiguous in Dagster's stored order (normally one)."""
    from assets.jobs import CLEAN_JOB
    from assets.partitions import month_runs

    return [
        execute(CLEAN_JOB, log_file, instance, tags={**run_tags, **(tags or {})}, run_config=inputs.run_config())
        for run_tags in month_runs(instance, months)
    ]


def run_edition(
    edition_id: str,
    source: Source,
    input_dir: str | None,
    registry: str | None,
    editions: str | None,
    quiet: bool = False,
    plan: Callable[[Any, RunInputs], list[str]] | None = None,
) -> dict:
    """Materialize everything an edition needs through Dagster, recorded in GSM_HOME's instance.
    Every run gets the inputs as its run config (the `inputs` resource: visible on the run's page
    in the UI); they are also saved as this GSM_HOME's last inputs, for a later `gsm update`.
    plan(instance, inputs), called after the landing, says which fetch months to clean (`gsm
    backfill`: the yearly sensor's request); by default every landed month (months.py)."""
    import dagster as dg

    from assets.jobs import AWARD_JOB, INGEST_JOB, OUTLOOK_JOB
    from assets.partitions import month_runs
    from gsm_platform.resources import GsmInputs, save_inputs

    home = prepare_environment()
    registry_path = str(Path(registry).resolve()) if registry else str(DEFAULT_REGISTRY)
    editions_path = str(Path(editions).resolve()) if editions else str(DEFAULT_EDITIONS)
    load_registry(registry_path)
    eds = load_editions(editions_path)
    eds.get(edition_id)
    if source == "files" and not input_dir:
        raise RegistryError("--source files needs --input DIR (a directory of recorded envelopes)")
    inputs = GsmInputs(
        registry_path=registry_path,
        editions_path=editions_path,
        source=source,
        input_dir=str(Path(input_dir).resolve()) if input_dir else "",
        edition=edition_id,
    ).resolved()
    save_inputs(inputs)
    run_config = inputs.run_config()
    with phases.phase("runs/definitions"):  # `dbt parse` when this GSM_HOME has no manifest yet
        from gsm_platform.resources import dbt_project

        dbt_project()  # (the definitions themselves load with the first run, origin.py)
    instance = dg.DagsterInstance.get()
    say = (lambda *_: None) if quiet else print
    log_file = under_home("logs", f"materialize-{edition_id}.log", home=home)
    say(f"[1/4] registry and landing ({source})")
    for line in landing_notes(execute(INGEST_JOB, log_file, instance=instance, run_config=run_config)):
        say(line)
    months = plan(instance, inputs) if plan else months_to_clean(source, instance)
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
        cleaned = clean_runs(instance, log_file, months, inputs)
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
            clean_runs(instance, log_file, late, inputs, {API_PULL_TAG: "skip"})
            months = sorted({*months, *late})
    say(f"[3/4] award metrics (dbt) and rankings for edition {edition_id}")
    result = execute(AWARD_JOB, log_file, instance=instance, partition_key=edition_id, run_config=run_config)
    say(f"[4/4] the GSM Outlook of edition {edition_id} (dbt)")
    execute(OUTLOOK_JOB, log_file, instance=instance, partition_key=edition_id, run_config=run_config)
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

    from assets.edition_impact import edition_update_requests, latest_clean
    from assets.jobs import AWARD_SELECTION, INGEST_JOB
    from gsm_platform.resources import save_inputs, saved_inputs
    from gsm_platform.runs import origin
    from gsm_platform.warehouse import session

    inputs = saved_inputs()
    if input_dir:
        inputs = dataclasses.replace(inputs, source="files", input_dir=str(Path(input_dir).resolve()))
        save_inputs(inputs)
    run_config = inputs.run_config()
    home = prepare_environment()
    if not warehouse_path().exists():
        raise RegistryError(f"no warehouse at {warehouse_path()}: run `gsm materialize --edition ID` first")
    source = inputs.source
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
    ingest = timed("ingest_s", lambda: execute(INGEST_JOB, log_file, instance=instance, run_config=run_config))
    for line in landing_notes(ingest):
        say(line)
    months = months_to_clean("api", instance) if source == "api" else uncleaned_months()
    if months:
        say(f"[2/3] raw pulls and cleaned snapshots of {month_words(months)}")
        timed("clean_s", lambda: clean_runs(instance, log_file, months, inputs))
    else:
        say("[2/3] nothing new to clean")
    award_keys = AWARD_SELECTION.resolve(origin.recon_repository().get_definition().asset_graph)

    def impacts():  # the built_edition_updates sensor's code: the runs it would request, and why
        with session(read_only=True) as conn:
            return edition_update_requests(instance, conn, award_keys, latest_clean(instance), inputs)

    requests, decided = timed("impact_s", impacts)
    by_edition = {r.partition_key: r for r in requests}
    rebuilt = []
    for impact in decided:
        say(f"[3/3] edition {impact.edition_id}: {'rebuild' if impact.changed else 'stands'} - {impact.reason}")
        if impact.edition_id in by_edition:
            timed(
                f"award_{impact.edition_id}_s",
                lambda r=by_edition[impact.edition_id]: award_then_outlook(r, log_file, instance),
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


def execute_request(request, log_file: Path, instance):
    """Executes a sensor's run request in this process (launch.py) as the daemon would launch it:
    its job, partition, run config and tags."""
    return execute(
        request.job_name,
        log_file,
        instance=instance,
        tags=dict(request.tags),
        partition_key=request.partition_key,
        run_config=dict(request.run_config),
    )


def award_then_outlook(request, log_file: Path, instance) -> None:
    """The award run `built_edition_updates` requests, then the outlook run `outlook_after_update`
    requests after it (assets/outlook_updates.py outlook_request), both executed here."""
    import dagster as dg

    from assets.outlook_updates import outlook_request

    award = execute_request(request, log_file, instance)
    outlook = outlook_request(instance.get_run_by_id(award.run_id), instance)
    if isinstance(outlook, dg.SkipReason):  # not expected: the award run is tagged as an update's
        raise RegistryError(f"no outlook after award run {award.run_id}: {outlook.skip_message}")
    execute_request(outlook, log_file, instance)


def run_backfill(
    edition_id: str, source: Source | None, input_dir: str | None, registry: str | None, editions: str | None
) -> dict:
    """The yearly backfill of an edition, in process, through the sensor's code: after the landing
    (the backfill's first run), assets/backfill.py's plan_edition_backfill builds the request the
    `yearly_edition_backfill` sensor would make for the edition (its fetch months up to today, its
    tags, the inputs; due or not yet), and the runs of that backfill execute here in order, each
    tagged gsm/backfill=<edition> and gsm/backfill_id: registry and landing, raw and cleaned over
    the request's months, the edition's metrics and rankings, its Outlook. Not through Dagster's
    backfill iteration: that launches every run through the instance's run launcher (a code server
    and a run worker per run: runs/origin.py says what that costs and what the terminal loses), and
    a submitted backfill would be executed again by a running daemon; so no backfill record is
    submitted. An edition whose window the landed data does not cover is refused with the sensor's
    reason, except with the api source, which also cleans today's month, the one its pull of the
    window lands in (a backfill of past months pulls nothing). Inputs default to this GSM_HOME's
    last ones, then to the shipped files. Returns run_edition's summary with the backfill id and
    the number of runs it took."""
    import uuid

    import dagster as dg

    from assets.backfill import BACKFILL_TAG, backfill_tags, plan_edition_backfill, request_months
    from assets.partitions import FETCH_MONTHS
    from gsm_platform.methodology import load_methodology
    from gsm_platform.resources import saved_inputs

    saved = saved_inputs()
    source = source or saved.source
    input_dir = input_dir or (saved.input_dir if source == "files" else None)
    registry, editions = registry or saved.registry_path, editions or saved.editions_path
    edition = load_editions(editions).get(edition_id)
    settle_days = load_methodology().get(edition.methodology).settle_days

    def plan(instance, inputs: RunInputs) -> list[str]:
        planned = plan_edition_backfill(
            edition, settle_days, instance.get_dynamic_partitions(FETCH_MONTHS), today_wib(), inputs
        )
        if source != "api":
            if isinstance(planned, str):
                raise RegistryError(planned)
            return request_months(planned)
        # the api source pulls the edition's window today, into today's fetch month: a window not
        # landed yet is what it is about to pull, not a reason to refuse
        months = [] if isinstance(planned, str) else request_months(planned)
        return sorted({*months, *months_to_clean("api", instance)})

    backfill_id = uuid.uuid4().hex[:8]
    RUN_TAGS.update({**backfill_tags(edition_id), f"{BACKFILL_TAG}_id": backfill_id})
    try:
        summary = run_edition(edition_id, source, input_dir, registry, editions, plan=plan)
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
