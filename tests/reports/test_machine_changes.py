"""What changed since the last complete run in SARIF, CSV and JUnit (issue 6, scope 3).

The hand-built result of ``golden.golden_result_with_changes`` (new, reopened, persisting,
resolved and unchecked findings next to suppressed and baseline ones) gives a golden file per
format and exact assertions; a nightly run against the REST simulator checks that every format
agrees with the JSON report's ``changes`` block. Without a history the existing golden files
(``test_sarif``, ``test_csv``, ``test_junit``) show that nothing of this appears.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lxml import etree

from fixtures.tableau_server import SimulatedServer, site_from_dict
from tableau_audit.changes import Change, KnownFinding, RunChanges, changed_finding, compare
from tableau_audit.cli import cli
from tableau_audit.findings import AuditResult, Severity
from tableau_audit.reports.csv_report import COLUMNS, CsvReporter
from tableau_audit.reports.junit import JunitReporter
from tableau_audit.reports.sarif import FINGERPRINT_KEY, SarifReporter
from tests.factories import make_finding, make_item, make_result
from tests.reports.golden import (
    GONE_URL,
    NOW,
    REFERENCE,
    check_golden,
    golden_result,
    golden_result_with_changes,
    golden_rules,
)
from tests.reports.test_sarif import schema_errors
from tests.sources.server_site import opened_to_all_users, server_env, site_spec

LOCAL = "reports/permits dept.twbx"
SKIPPED = "broken dir/bad.twb"
EARLIER, LONG_AGO = "2026-11-20T02:00:00Z", "2026-09-01T02:00:00Z"


def _changes(result: AuditResult) -> RunChanges:
    assert result.changes is not None
    return result.changes


def _sarif(result: AuditResult) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SarifReporter(rules=golden_rules()).render(result))
    return document


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- the hand-built changes --------------------------------------------------------------------


def test_the_hand_built_changes_are_what_compare_gives() -> None:
    """The golden fixture is a real comparison, not an impossible combination."""
    changes = _changes(golden_result_with_changes())
    known = {
        f.fingerprint: KnownFinding(
            fingerprint=f.fingerprint, rule_id=f.rule_id, severity=f.severity,
            message=f.message, artifact=f.artifact, object_path=f.object_path,
            first_seen=f.first_seen, open=not f.reopened,
        )
        for f in (*changes.persisting, *changes.resolved, *changes.unchecked,
                  *(f for f in changes.new if f.reopened))
    }  # fmt: skip
    assert compare(golden_result(), known, reference=REFERENCE, now=NOW, run_id=8) == changes


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("report.changes.sarif", lambda r: SarifReporter(rules=golden_rules()).render(r)),
        ("report.changes.csv", lambda r: CsvReporter().render(r)),
        ("report.changes.junit.xml", lambda r: JunitReporter().render(r)),
    ],
)
def test_golden_files_with_changes(name: str, render: Any) -> None:
    check_golden(name, render(golden_result_with_changes()))


# --- SARIF -------------------------------------------------------------------------------------


def test_sarif_baseline_states_follow_the_history_and_stay_valid() -> None:
    result = golden_result_with_changes()
    document = _sarif(result)
    assert schema_errors(document) == []
    run = document["runs"][0]
    states = [
        (
            r["ruleId"],
            r.get("kind"),
            r["level"],
            r.get("baselineState"),
            r["properties"].get("change"),
            r["properties"].get("firstSeen"),
            r["properties"].get("reopened"),
            "suppressions" in r,
        )
        for r in run["results"]
    ]
    assert states == [
        ("TA301", None, "error", "new", "new", NOW, None, False),
        ("TA101", None, "warning", "unchanged", "persisting", EARLIER, None, False),
        ("TA101", None, "warning", "unchanged", "persisting", EARLIER, None, False),
        ("TA201", None, "warning", "new", "new", LONG_AGO, True, False),
        ("TA901", None, "error", "new", "new", NOW, None, False),
        # suppressed: its suppression only; baseline: unchanged, as without a history
        ("TA101", None, "warning", None, None, None, None, True),
        ("TA201", None, "warning", "unchanged", None, None, None, False),
        # resolved: absent, the rule ran and found nothing; their severity stays a property
        ("TA301", "pass", "none", "absent", "resolved", LONG_AGO, None, False),
        ("TA101", "pass", "none", "absent", "resolved", EARLIER, None, False),
        # unchecked: carried over, so that no viewer closes what was not re-checked
        ("TA101", None, "warning", "unchanged", "unchecked", EARLIER, None, False),
    ]
    first_seen = [r.get("provenance", {}).get("firstDetectionTimeUtc") for r in run["results"]]
    assert first_seen == [s[5] for s in states]
    assert [r["properties"]["severity"] for r in run["results"][-3:]] == [
        "high",
        "medium",
        "medium",
    ]
    changes = _changes(result)
    gone = (*changes.resolved, *changes.unchecked)
    assert [r["partialFingerprints"][FINGERPRINT_KEY] for r in run["results"][-3:]] == [
        f.fingerprint for f in gone
    ]
    assert run["properties"]["summary"]["changes"] == {
        "new": 3, "resolved": 2, "persisting": 2, "unchecked": 1, "reference_run": 7, "run": 8,
    }  # fmt: skip


def test_sarif_resolved_findings_keep_their_places() -> None:
    run = _sarif(golden_result_with_changes())["runs"][0]
    old, gone, unchecked = run["results"][-3:]
    # on an item this run audited: its logical location, without a line (none is stored)
    assert old["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "reports/permits%20dept.twbx", "uriBaseId": "%SRCROOT%"}
    }
    assert old["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == (
        f"{LOCAL} › Permits › old › password"
    )
    assert old["properties"]["risk-level"] == "high"  # the item's level in this run
    # on an item no longer on the site or not audited this run: its URI only
    assert gone["locations"] == [
        {"physicalLocation": {"artifactLocation": {"uri": GONE_URL}}}
    ]  # fmt: skip
    assert "logicalLocations" not in unchecked["locations"][0]
    assert "risk-level" not in gone["properties"]


def test_sarif_history_takes_precedence_over_the_baseline_for_gating_findings() -> None:
    """A persisting finding not in --baseline is "unchanged"; without the history it is new."""
    with_history = _sarif(golden_result_with_changes())["runs"][0]["results"]
    without = _sarif(golden_result())["runs"][0]["results"]
    assert [r.get("baselineState") for r in without[:7]] == ["new"] * 5 + [None, "unchanged"]
    assert [r.get("baselineState") for r in with_history[:7]] == [
        "new", "unchanged", "unchanged", "new", "new", None, "unchanged",
    ]  # fmt: skip


def test_sarif_first_run_of_a_history_marks_everything_new() -> None:
    ssn = make_finding(artifact="https://t/wb/A")
    result = make_result(items=(make_item(source="https://t/wb/A", findings=(ssn,)),))
    result = dataclasses.replace(result, changes=compare(result, {}, reference=None, now=NOW))
    run = _sarif(result)["runs"][0]
    assert schema_errors(_sarif(result)) == []
    assert [(r["baselineState"], r["properties"]["firstSeen"]) for r in run["results"]] == [
        ("new", NOW)
    ]
    assert run["properties"]["summary"]["changes"]["reference_run"] is None


def test_sarif_a_resolved_finding_of_a_rule_that_did_not_run_still_has_a_descriptor() -> None:
    guest = make_finding(rule_id="TA202", artifact=GONE_URL, object_path=(),
                         severity=Severity.CRITICAL)  # fmt: skip
    result = make_result(items=())
    changes = RunChanges(
        reference=REFERENCE, resolved=(changed_finding(Change.RESOLVED, guest, EARLIER),)
    )
    run = _sarif(dataclasses.replace(result, changes=changes))["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["TA101", "TA202", "TA901"]
    (only,) = run["results"]
    assert (only["ruleId"], rules[only["ruleIndex"]], only["baselineState"]) == (
        "TA202",
        "TA202",
        "absent",
    )


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_change_and_first_seen_are_the_last_columns() -> None:
    assert COLUMNS[-2:] == ("change", "first_seen")
    header = CsvReporter().render(golden_result()).split("\n", 1)[0]
    assert header.endswith(",status,suppression_reason,change,first_seen")


def test_csv_rows_say_new_persisting_resolved_and_unchecked() -> None:
    result = golden_result_with_changes()
    rows = _csv_rows(CsvReporter().render(result))
    changes = _changes(result)
    gone = (*changes.resolved, *changes.unchecked)
    assert [(r["rule_id"], r["status"], r["change"], r["first_seen"]) for r in rows] == [
        ("TA301", "open", "new", NOW),
        ("TA101", "open", "persisting", EARLIER),
        ("TA101", "open", "persisting", EARLIER),
        ("TA201", "open", "new", LONG_AGO),
        ("TA901", "open", "new", NOW),
        ("TA101", "suppressed", "", ""),
        ("TA201", "baseline", "", ""),
        ("TA301", "resolved", "resolved", LONG_AGO),
        ("TA101", "resolved", "resolved", EARLIER),
        ("TA101", "unchecked", "unchecked", EARLIER),
    ]
    assert [r["fingerprint"] for r in rows[-3:]] == [f.fingerprint for f in gone]
    old, vanished = rows[-3], rows[-2]
    assert (old["source"], old["name"], old["project"], old["line"]) == (
        LOCAL,
        "Permits <script>alert(1)</script> | `x`",
        "Finance | HR",
        "",
    )
    # an item no longer on the site: no item columns; its hostile column name stays text
    assert (vanished["source"], vanished["kind"], vanished["name"], vanished["risk_level"]) == (
        GONE_URL,
        "",
        "",
        "",
    )
    assert (vanished["datasource"], vanished["field"]) == ("Old", "'=cmd|' /C calc'!A0")


def test_csv_without_history_leaves_both_columns_empty() -> None:
    rows = _csv_rows(CsvReporter().render(golden_result()))
    assert {(r["change"], r["first_seen"]) for r in rows} == {("", "")}
    assert {r["status"] for r in rows} == {"open", "suppressed", "baseline"}


# --- JUnit -------------------------------------------------------------------------------------


def _junit(result: AuditResult, fail_on: Severity = Severity.HIGH) -> etree._Element:
    return etree.fromstring(JunitReporter().render(result, fail_on=fail_on).encode("utf-8"))


@pytest.mark.parametrize("fail_on", list(Severity))
def test_junit_gating_is_the_same_with_a_history(fail_on: Severity) -> None:
    with_history = _junit(golden_result_with_changes(), fail_on)
    without = _junit(golden_result(), fail_on)
    for attribute in ("tests", "failures", "errors"):
        assert with_history.get(attribute) == without.get(attribute)
    failing = [
        (c.get("name"), [x.tag for x in c if x.tag in ("failure", "error")])
        for c in with_history.iter("testcase")
    ]
    assert failing == [
        (c.get("name"), [x.tag for x in c if x.tag in ("failure", "error")])
        for c in without.iter("testcase")
    ]


def test_junit_marks_new_and_persisting_findings() -> None:
    root = _junit(golden_result_with_changes())
    permits, payroll, _clean, skipped = root.iter("testcase")
    failure = permits.find("failure")
    assert failure is not None
    assert failure.get("message") == "1 finding(s) at or above high, 1 new since last run"
    assert failure.text is not None
    assert failure.text.endswith(" [new, first seen 2026-11-26]")
    out = permits.findtext("system-out", "")
    marks = [line.rpartition(" is never used")[2] for line in out.splitlines() if "TA101" in line]
    # the suppressed finding (last) takes no part
    assert marks == [" [persisting, first seen 2026-11-20]"] * 2 + [""]
    assert (
        payroll.findtext("system-out", "")
        .splitlines()[3]
        .endswith("is allowed [new again, first seen 2026-09-01]")
    )
    assert skipped.findtext("error", "").endswith(" [new, first seen 2026-11-26]")


def test_junit_run_lists_resolved_and_unchecked_findings_with_counts() -> None:
    root = _junit(golden_result_with_changes())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite[-1].tag == "system-out"  # after the test cases, as the JUnit schema orders it
    assert suite[-1].text is not None
    assert suite[-1].text.splitlines() == [
        "Since run 7 (2026-11-25): 3 new, 2 resolved, 2 persisting, 1 not re-checked "
        "(their items could not be audited).",
        "resolved since last run:",
        f"HIGH TA301 {LOCAL} [Permits › old › password]: A password is stored for connection "
        "'old' of 'Permits <script>alert(1)</script> | `x`' (first seen 2026-09-01)",
        f"MEDIUM TA101 {GONE_URL} [Old › =cmd|' /C calc'!A0]: Confidential column "
        "\"=cmd|' /C calc'!A0\" in 'Old' is never used (first seen 2026-11-20)",
        "not re-checked (their items could not be audited):",
        f"MEDIUM TA101 {SKIPPED} [Sales › Email]: Confidential column 'Email' in 'Sales' is "
        "never used (first seen 2026-11-20)",
    ]
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert {k: v for k, v in properties.items() if k and k.startswith("changes_")} == {
        "changes_new": "3",
        "changes_resolved": "2",
        "changes_persisting": "2",
        "changes_unchecked": "1",
        "changes_reference_run": "7",
    }


def test_junit_without_history_has_no_change_marks() -> None:
    text = JunitReporter().render(golden_result(), fail_on=Severity.INFO)
    assert "first seen" not in text
    assert "since last run" not in text
    assert "changes_" not in text
    suite = _junit(golden_result()).find("testsuite")
    assert suite is not None
    assert suite[-1].tag == "testcase"


# --- a nightly run through the CLI -------------------------------------------------------------


def _nightly(spec: dict[str, Any], history: Path, out: Path) -> None:
    formats = [a for fmt in ("json", "sarif", "csv", "junit")
               for a in ("--format", f"{fmt}:{out / fmt}")]  # fmt: skip
    with SimulatedServer(site_from_dict(spec)) as srv:
        command = ["server", "--retries", "1", "--history", str(history), *formats]
        run = CliRunner().invoke(cli, command, env=server_env(srv.url), catch_exceptions=False)
    assert run.exit_code in (0, 1), run.output


def test_a_nightly_run_states_the_same_changes_in_every_format(tmp_path: Path) -> None:
    """Run 2 opens 'Report 1' to All Users and closes 'Open Secrets': new and resolved."""
    history = tmp_path / "nightly.sqlite"
    spec = site_spec()
    (tmp_path / "1").mkdir()
    _nightly(spec, history, tmp_path / "1")
    changed = opened_to_all_users(spec, "Report 1")
    next(w for w in changed["workbooks"] if w["name"] == "Open Secrets")["permissions"] = []
    out = tmp_path / "2"
    out.mkdir()
    _nightly(changed, history, out)

    block = json.loads((out / "json").read_text(encoding="utf-8"))["changes"]
    expected = {
        f["fingerprint"]: (kind, f["first_seen"])
        for kind in ("new", "persisting", "resolved", "unchecked")
        for f in block[kind]
    }
    assert {kind for kind, _ in expected.values()} == {"new", "persisting", "resolved"}
    assert {f["rule_id"] for f in block["new"]} == {"TA201", "TA203"}

    sarif = json.loads((out / "sarif").read_text(encoding="utf-8"))
    assert schema_errors(sarif) == []
    states = {
        r["partialFingerprints"][FINGERPRINT_KEY]: (r["properties"]["change"], r["baselineState"])
        for r in sarif["runs"][0]["results"]
    }
    as_sarif = {"new": "new", "persisting": "unchanged", "resolved": "absent"}
    assert states == {fp: (kind, as_sarif[kind]) for fp, (kind, _) in expected.items()}

    rows = _csv_rows((out / "csv").read_text(encoding="utf-8"))
    assert {r["fingerprint"]: (r["change"], r["first_seen"]) for r in rows} == expected

    junit = etree.fromstring((out / "junit").read_bytes())
    run_out = junit.find("testsuite/system-out")
    assert run_out is not None
    assert run_out.text is not None
    resolved_lines = run_out.text.split("resolved since last run:\n", 1)[1].splitlines()
    assert len(resolved_lines) == len(block["resolved"]) > 0
    assert {f"{f['rule_id']} {f['artifact']}" for f in block["resolved"]} == {
        " ".join(line.split(" ")[1:3]) for line in resolved_lines
    }
