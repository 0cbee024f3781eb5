"""The Dagster UI as a data engineer and an auditor use it, driven in Debian's Chromium by
Playwright: the lineage of `rankings` reaches the source accounts, an account's page shows who
it belongs to and its pull history, the rankings partition is materialized from the UI, and the
sensors' page opens.

The UI (`dagster dev` on 127.0.0.1, a free port, as `make ui` starts it) runs over a copy of the session's small
materialized edition. Chromium is /usr/bin/chromium (`.ci/run` installs it with apt; Playwright's
own browser download needs the internet). Screenshots of every step are kept under the test's tmp
dir, and their folder is printed when a test fails."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

CHROMIUM = Path(os.environ.get("GSM_CHROMIUM", "/usr/bin/chromium"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parent.parent
LOCATION = "gsm_platform.definitions"
WAIT_MS = 90_000  # the first page of a cold webserver on a shared 2-core machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ui(small_edition, tmp_path_factory):
    """`dagster dev` over a copy of the small edition's home (the test materializes in it)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)")
    base = tmp_path_factory.mktemp("ui")
    home = base / "home"
    shutil.copytree(small_edition.home, home)
    env = {
        **os.environ,
        "GSM_HOME": str(home),
        "GSM_WAREHOUSE": str(home / "warehouse.duckdb"),
        "DAGSTER_HOME": str(home / "dagster"),
    }
    port = _free_port()
    log = (base / "webserver.log").open("wb")
    # `dagster dev` as `make ui` runs it: the webserver and the daemon that dequeues the runs launched from the UI
    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.Popen(
        [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped whole (with the run it launched) below
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the webserver did not start; its log: {base / 'webserver.log'}")
                time.sleep(0.5)
        yield {"url": url, "home": home, "shots": base / "screenshots", "log": base / "webserver.log"}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


@pytest.fixture
def page(ui, tmp_path, request):
    from playwright.sync_api import sync_playwright

    shots = ui["shots"] / request.node.name
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile per test
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1600, "height": 1000},
        )
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        # Dagster's newsletter prompt on a first visit covers the page
        page.add_locator_handler(
            page.get_by_text("Join the Dagster community"), lambda: page.get_by_role("button", name="Skip").click()
        )
        page.shots = shots
        failed = True
        try:
            yield page
            failed = False
        finally:
            try:
                page.screenshot(path=str(shots / "last.png"), full_page=False)
            except Exception as exc:  # the page may be gone: the test's own error says why
                print(f"no last screenshot: {exc}")
            if failed:
                print(f"screenshots of the failed UI test: {shots}; webserver log: {ui['log']}")
            context.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(page.shots / f"{name}.png"))


def _a_scored_account(home: Path) -> tuple[str, str, str, str]:
    """(platform, account id, handle, institution name) of an account scored in edition 2025."""
    import duckdb

    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as conn:
        row = conn.execute(
            """SELECT a.platform, a.account_id, a.handle, i.name FROM registry.accounts a
               JOIN registry.institutions i USING (institution_id)
               WHERE a.role = 'institution' AND a.platform = 'x' AND a.handle IS NOT NULL
                 AND institution_id IN (SELECT institution_id FROM main.rankings WHERE edition_id = '2025')
               ORDER BY a.account_id LIMIT 1"""
        ).fetchone()
    assert row, "no scored x account in the small edition"
    return row


def test_the_lineage_of_rankings_reaches_a_source_account(ui, page):
    platform, account_id, _, _ = _a_scored_account(ui["home"])
    page.goto(f"{ui['url']}/assets/rankings?view=lineage&lineageScope=upstream&lineageDepth=12")
    node = page.locator("foreignObject").get_by_text(account_id, exact=True)
    node.first.wait_for(state="attached")
    page.get_by_text(f"accounts_{platform}", exact=True).first.wait_for()
    _shot(page, "rankings-lineage")
    # the account's own lineage, downstream, reaches rankings
    page.goto(
        f"{ui['url']}/assets/accounts/{platform}/{account_id}?view=lineage&lineageScope=downstream&lineageDepth=12"
    )
    page.locator("foreignObject").get_by_text("rankings", exact=True).first.wait_for(state="attached")
    _shot(page, "account-lineage-downstream")


def test_an_account_page_shows_its_owner_and_pull_history(ui, page):
    platform, account_id, handle, institution = _a_scored_account(ui["home"])
    page.goto(f"{ui['url']}/assets/accounts/{platform}/{account_id}")
    page.get_by_text(f"@{handle}", exact=False).first.wait_for()
    page.get_by_text(institution, exact=False).first.wait_for()
    for key in ("envelopes_landed", "posts", "follower_snapshots", "quarantined_records", "last_fetch"):
        page.get_by_text(key, exact=True).first.wait_for()
    _shot(page, "account")
    # the link to the rankings partition it feeds
    page.get_by_role("link", name="rankings, edition 2025").first.wait_for()


def test_the_rankings_partition_is_materialized_from_the_ui(ui, page):
    with dg.DagsterInstance.from_config(str(ui["home"] / "dagster")) as instance:
        before = {r.run_id for r in instance.get_runs()}
    page.goto(f"{ui['url']}/assets/rankings")
    page.get_by_text("institutions", exact=True).first.wait_for()  # the table of ranked institutions
    page.get_by_role("button", name="Materialize…").first.click()
    page.get_by_text("Select a partition or create one").click()
    page.get_by_role("menuitem").filter(has_text=re.compile(r"^2025")).first.click()
    page.keyboard.press("Escape")  # closes the partition menu, not the dialog
    page.get_by_text("1 partition", exact=True).wait_for()
    _shot(page, "materialize-dialog")
    page.get_by_role("button", name="Launch 1 run").click()
    with dg.DagsterInstance.from_config(str(ui["home"] / "dagster")) as instance:
        deadline = time.monotonic() + 300
        while True:
            runs = [r for r in instance.get_runs() if r.run_id not in before]
            if runs and runs[0].is_finished:
                break
            assert time.monotonic() < deadline, "the run launched from the UI did not finish in 5 minutes"
            time.sleep(1)
    run = runs[0]
    assert run.tags.get("dagster/partition") == "2025"
    assert run.status == dg.DagsterRunStatus.SUCCESS, f"run {run.run_id}: {run.status}"
    page.goto(f"{ui['url']}/runs/{run.run_id}")
    page.get_by_text("Success", exact=True).first.wait_for()
    _shot(page, "run-success")


def test_the_sensor_page_opens(ui, page):
    page.goto(f"{ui['url']}/locations/{LOCATION}/sensors/yearly_edition_backfill")
    page.get_by_text("Yearly: the day after", exact=False).first.wait_for()  # its description
    page.get_by_role("button", name="Preview tick result").wait_for()
    _shot(page, "sensor")
