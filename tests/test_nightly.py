"""Nightly runs against the REST simulator (real TSC over HTTP): issue 6 acceptance.

* a second run with no change downloads nothing and reports 0 new findings, with exactly the
  findings of a fresh run (the rules re-evaluated on the stored analyses);
* a permission change alone (All Users granted Download Full Data) is new, with no download;
* a content change triggers exactly one download;
* a run killed with SIGKILL is never marked complete, and the next run completes;
* a second run on the same history while one holds it exits 2;
* the webhook summary reaches a local receiver.

The simulator's site is read-only while it runs, so a change is a new simulator serving a
modified description: ids are uuid5s of the names, so the items keep their identity.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fixtures.tableau_server import SimulatedServer, site_from_dict
from tableau_audit.cli import cli
from tests.history_lock import holding_history
from tests.sources.server_site import opened_to_all_users, server_env, site_spec
from tests.webhook_receiver import TOKEN, webhook_receiver

REPO = Path(__file__).resolve().parents[1]
DOWNLOADS = ("workbook.content", "datasource.content")


def run(srv: SimulatedServer, history: Path, *args: str) -> tuple[Result, dict[str, Any]]:
    """One ``server --history`` run through the CLI; (result, JSON report)."""
    srv.log.clear()
    command = ["server", "--retries", "1", "--history", str(history), "--format", "json", *args]
    result = CliRunner().invoke(cli, command, env=server_env(srv.url), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result, json.loads(result.stdout)


def downloads(srv: SimulatedServer) -> int:
    return sum(srv.log.count(route) for route in DOWNLOADS)


def fingerprints(doc: dict[str, Any]) -> set[str]:
    return {f["fingerprint"] for item in doc["workbooks"] for f in item["findings"]}


def changed(doc: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    """(rule, item URL) of the report's ``new``/``resolved``/... findings."""
    return {(f["rule_id"], f["artifact"]) for f in doc["changes"][kind]}


def serve(spec: dict[str, Any]) -> SimulatedServer:
    return SimulatedServer(site_from_dict(spec)).start()


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return tmp_path / "nightly.sqlite"


@pytest.fixture
def spec() -> dict[str, Any]:
    return site_spec()


@pytest.fixture
def first(spec: dict[str, Any], history: Path) -> Iterator[tuple[SimulatedServer, dict[str, Any]]]:
    """The site after a first, full run recorded in the history."""
    srv = serve(spec)
    try:
        _, doc = run(srv, history)
        yield srv, doc
    finally:
        srv.stop()


def test_unchanged_site_downloads_nothing_and_nothing_is_new(
    first: tuple[SimulatedServer, dict[str, Any]], history: Path
) -> None:
    srv, doc1 = first
    items = len(doc1["workbooks"])
    assert doc1["changes"]["reference_run"] is None
    assert doc1["summary"]["changes"]["new"] == len(fingerprints(doc1)) > 0
    result, doc2 = run(srv, history, "--fail-on-new", "--fail-on", "info")
    assert downloads(srv) == 0
    assert result.exit_code == 0  # persisting findings do not gate with --fail-on-new
    assert doc2["summary"]["changes"] == {
        "new": 0, "resolved": 0, "persisting": len(fingerprints(doc1)), "unchecked": 0,
        "reference_run": 1, "run": 2,
    }  # fmt: skip
    # the rules re-evaluated on the stored analyses find exactly what the download found
    assert fingerprints(doc2) == fingerprints(doc1)
    assert doc2["workbooks"] == doc1["workbooks"]  # items, columns, risk, exposure: all equal
    assert len(doc2["workbooks"]) == items
    full, doc3 = run(srv, history, "--full")
    assert downloads(srv) == items
    assert fingerprints(doc3) == fingerprints(doc1)
    assert full.exit_code == 1


def test_permission_change_alone_is_new_without_a_download(
    first: tuple[SimulatedServer, dict[str, Any]], spec: dict[str, Any], history: Path
) -> None:
    old, _ = first
    old.stop()
    opened = opened_to_all_users(spec, "Report 1")
    srv = serve(opened)
    try:
        result, doc = run(srv, history, "--fail-on-new", "--fail-on", "high")
        assert downloads(srv) == 0
        url = f"{srv.url}/#/site/test/workbooks/Report1"
        assert changed(doc, "new") == {("TA201", url), ("TA203", url)}
        assert changed(doc, "resolved") == set()
        assert result.exit_code == 1  # TA203 is high and new
        new = {f["rule_id"]: f for f in doc["changes"]["new"]}
        assert new["TA203"]["first_seen"] == _started(history, 2)
    finally:
        srv.stop()


def test_content_change_downloads_exactly_that_item(
    first: tuple[SimulatedServer, dict[str, Any]], spec: dict[str, Any], history: Path
) -> None:
    old, doc1 = first
    old.stop()
    edited = copy.deepcopy(spec)
    report = next(w for w in edited["workbooks"] if w["name"] == "Report 2")
    report["content"] = str(REPO / "tests" / "fixtures" / "rules" / "TA303_fail_mapbox_key.twb")
    report.pop("contentText")
    report["updatedAt"] = "2026-11-25T12:00:00Z"
    srv = serve(edited)
    try:
        _, doc = run(srv, history)
        assert srv.log.count("workbook.content") == 1
        assert srv.log.count("datasource.content") == 0
        assert [e.item_id for e in srv.log.entries() if e.route == "workbook.content"] == [
            srv.site.find_id("workbook", "Report 2")
        ]
        url = f"{srv.url}/#/site/test/workbooks/Report2"
        assert {rule for rule, item in changed(doc, "new")} >= {"TA303"}
        assert {item for _, item in changed(doc, "new")} == {url}
        assert len(fingerprints(doc)) > len(fingerprints(doc1))
    finally:
        srv.stop()


def _states(history: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(f"file:{history}?mode=ro", uri=True)
    try:
        return [(int(i), str(s)) for i, s in conn.execute("SELECT id, status FROM runs")]
    finally:
        conn.close()


def _started(history: Path, run_id: int) -> str:
    conn = sqlite3.connect(f"file:{history}?mode=ro", uri=True)
    try:
        return str(conn.execute("SELECT started FROM runs WHERE id = ?", (run_id,)).fetchone()[0])
    finally:
        conn.close()


def _stored_items(history: Path) -> int:
    """Analyses stored so far (0 while the file or its tables do not exist yet)."""
    try:
        conn = sqlite3.connect(f"file:{history}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0
    try:
        return int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
    except sqlite3.Error:
        return 0
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_mid_run_leaves_a_consistent_history_and_the_rerun_completes(
    spec: dict[str, Any], history: Path, tmp_path: Path
) -> None:
    srv = serve(spec)
    try:
        srv.faults.latency(0.15)
        child = subprocess.Popen(
            [sys.executable, "-m", "tableau_audit", "server", "--history", str(history),
             "--concurrency", "1", "--format", f"json:{tmp_path / 'killed.json'}"],
            env={**os.environ, **server_env(srv.url)}, cwd=REPO,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while _stored_items(history) < 2 and time.monotonic() < deadline:
                assert child.poll() is None, "the run ended before it could be killed"
                time.sleep(0.05)
            assert _stored_items(history) >= 2
            os.kill(child.pid, signal.SIGKILL)
        finally:
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        killed_stored = _stored_items(history)
        assert _states(history) == [(1, "running")]  # never marked complete
        assert not (tmp_path / "killed.json").exists()
        srv.faults.clear()
        _, doc = run(srv, history)
        assert _states(history) == [(1, "failed"), (2, "complete")]
        assert doc["changes"]["reference_run"] is None  # the killed run is never a reference
        # what the killed run analysed is not downloaded again (its analyses are valid)
        assert downloads(srv) == len(doc["workbooks"]) - killed_stored
        listing = CliRunner().invoke(cli, ["history", "--history", str(history)])
        assert "interrupted: the process ended before the run finished" in listing.stdout
    finally:
        srv.stop()


def test_a_second_run_on_the_same_history_exits_2(spec: dict[str, Any], history: Path) -> None:
    with holding_history(history) as holder, SimulatedServer(site_from_dict(spec)) as srv:
        command = ["server", "--history", str(history)]
        result = CliRunner().invoke(cli, command, env=server_env(srv.url))
        assert result.exit_code == 2
        assert "another tableau-audit run is using this history" in result.stderr
        assert f"process {holder.pid}" in result.stderr
        assert srv.log.count("signin") == 0  # refused before touching the server


def test_webhook_summary_is_received(
    first: tuple[SimulatedServer, dict[str, Any]], spec: dict[str, Any], history: Path
) -> None:
    old, _ = first
    old.stop()
    opened = opened_to_all_users(spec, "Report 3")
    srv = serve(opened)
    try:
        with webhook_receiver() as receiver:
            result, _ = run(srv, history, "--notify-webhook", receiver.url, "-v")
        assert TOKEN not in result.stderr
        assert len(receiver.bodies) == 1
        body = receiver.bodies[0]
        assert (body["status"], body["run"], body["reference_run"]) == ("complete", 2, 1)
        assert [(f["rule_id"], f["item"], f["field"]) for f in body["new_findings"]] == [
            ("TA203", "Report 3", None)
        ]
        assert body["counts"]["new"] == 2  # TA201 (medium) is counted, not listed
    finally:
        srv.stop()


def test_history_options_need_history() -> None:
    result = CliRunner().invoke(cli, ["server", "--full"], env=server_env("http://127.0.0.1:9"))
    assert result.exit_code == 2
    assert "--full need(s) --history PATH" in result.stderr


@pytest.mark.hyper
def test_stored_analysis_of_a_packaged_extract_gives_the_same_report(
    spec: dict[str, Any], history: Path, generated_samples: Path
) -> None:
    """Value-based classifications (sampled extract) survive the history: same report."""
    with_extract = copy.deepcopy(spec)
    with_extract["workbooks"].append(
        {"name": "DOJ", "project": "Open", "owner": "admin",
         "content": str(generated_samples / "doj_permits.twbx"),
         "permissions": [{"group": "All Users", "capabilities": {"Read": "Allow",
                                                                 "ExportXml": "Allow"}}]}
    )  # fmt: skip
    srv = serve(with_extract)
    try:
        _, doc1 = run(srv, history)
        doj = next(i for i in doc1["workbooks"] if i["name"] == "DOJ")
        sampled = [
            c for c in doj["columns"] if c["classification"] and c["classification"]["sample_size"]
        ]
        assert sampled  # values were read from the extract and classified
        _, doc2 = run(srv, history)
        assert downloads(srv) == 0
        assert doc2["workbooks"] == doc1["workbooks"]
    finally:
        srv.stop()


def test_an_incomplete_run_exits_2_even_with_fail_on_new() -> None:
    from tableau_audit.changes import RunChanges
    from tableau_audit.cli_history import gate
    from tableau_audit.findings import Severity
    from tests.factories import make_result

    no_new = RunChanges(reference=None)
    incomplete = make_result(complete=False, changes=no_new)
    assert gate(incomplete, Severity.HIGH, fail_on_new=True) == 2
    assert gate(make_result(changes=no_new), Severity.HIGH, fail_on_new=True) == 0
