"""SARIF reporter: golden file, official-schema validation, rules, locations and fingerprints."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from tableau_audit.findings import Finding, Location, Severity, Skipped
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.sarif import (
    FINGERPRINT_KEY,
    SARIF_SCHEMA_URI,
    SarifReporter,
    artifact_location,
)
from tableau_audit.rules import ALL_RULES
from tests.factories import make_finding, make_item, make_result
from tests.reports.golden import (
    SERVER_URL,
    check_golden,
    golden_result,
    golden_rules,
    sarif_schema,
)


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Every violation of the official schema, formats (uri, uri-reference) included."""
    validator = jsonschema.Draft4Validator(
        sarif_schema(), format_checker=jsonschema.FormatChecker()
    )
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in validator.iter_errors(document)
    ]


def _golden_doc() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        SarifReporter(rules=golden_rules()).render(golden_result())
    )
    return document


def test_registered_under_sarif() -> None:
    assert isinstance(REPORTERS["sarif"], SarifReporter)


def test_golden_file() -> None:
    check_golden("report.sarif", SarifReporter(rules=golden_rules()).render(golden_result()))


def test_golden_document_is_valid_against_the_official_schema() -> None:
    document = _golden_doc()
    assert document["$schema"] == SARIF_SCHEMA_URI
    assert schema_errors(document) == []


def test_the_schema_check_catches_invalid_documents() -> None:
    """Negative control: the vendored schema and format checker really reject bad SARIF."""
    document = _golden_doc()
    bad_level = copy.deepcopy(document)
    bad_level["runs"][0]["results"][0]["level"] = "severe"
    bad_uri = copy.deepcopy(document)
    location = bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    location["artifactLocation"]["uri"] = "a b<c>"
    missing_success = copy.deepcopy(document)
    del missing_success["runs"][0]["invocations"][0]["executionSuccessful"]
    assert len(schema_errors(bad_level)) == 1
    assert len(schema_errors(bad_uri)) == 1
    assert len(schema_errors(missing_success)) == 1


def test_driver_rules_are_the_rules_that_ran_with_their_metadata() -> None:
    run = _golden_doc()["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "tableau-audit"
    assert [rule["id"] for rule in driver["rules"]] == ["TA101", "TA201", "TA301", "TA901"]
    ta301 = driver["rules"][2]
    assert ta301 == {
        "id": "TA301",
        "name": "stored-password",
        "shortDescription": {"text": "Summary of stored-password."},
        "fullDescription": {"text": "Help for stored-password."},
        "help": {
            "text": "Why it matters. Help for stored-password.\n\nHow to fix. Fix it.",
            "markdown": "**Why it matters.** Help for `stored-password`.\n\n"
            "**How to fix.** Fix *it*.",
        },
        "helpUri": "https://github.com/tableau-audit/tableau-audit/blob/main/docs/rules.md#ta301",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["credentials", "security", "external/cwe/cwe-798"],
            "security-severity": "8.9",
            "precision": "high",
            "problem.severity": "error",
        },
    }
    assert driver["rules"][0]["properties"]["precision"] == "medium"  # classification-based
    assert "external/cwe/cwe-None" not in json.dumps(driver["rules"][3])


def test_results_point_at_their_rule_and_carry_level_and_fingerprint() -> None:
    run = _golden_doc()["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    result = golden_result()
    accepted = (*(s.finding for s in result.suppressed), *result.baseline)
    expected = [
        (f.rule_id, f.severity.sarif_level, f.fingerprint) for f in (*result.findings, *accepted)
    ]
    assert [
        (r["ruleId"], r["level"], r["partialFingerprints"][FINGERPRINT_KEY]) for r in run["results"]
    ] == expected
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
    assert run["results"][4]["ruleId"] == "TA901"  # skipped inputs are results too
    assert "logicalLocations" not in run["results"][4]["locations"][0]


def test_suppressed_and_baseline_findings_are_marked_not_dropped() -> None:
    run = _golden_doc()["runs"][0]
    states = [(r.get("baselineState"), r.get("suppressions")) for r in run["results"]]
    assert states == [("new", None)] * 5 + [
        (
            None,
            [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": "Masked at source <b>HR-42</b> | ok",
                }
            ],
        ),
        ("unchanged", None),
    ]
    assert run["invocations"][0]["toolConfigurationNotifications"] == [
        {
            "level": "warning",
            "message": {
                "text": "suppression #1 (TA201 workbook='Payroll') expired on 2026-01-31: "
                "until the re-org; 1 finding(s) gate again"
            },
        }
    ]


def test_no_baseline_state_without_a_baseline() -> None:
    doc = json.loads(SarifReporter().render(make_result()))
    assert "baselineState" not in doc["runs"][0]["results"][0]
    assert schema_errors(doc) == []


def test_partial_fingerprints_ignore_line_numbers() -> None:
    def rendered(line: int) -> dict[str, Any]:
        finding = make_finding(
            location=Location(artifact="wb.twb", object_path=("datasource:A",), line=line)
        )
        doc = json.loads(SarifReporter().render(make_result(items=(make_item(
            source="wb.twb", findings=(finding,)),))))  # fmt: skip
        result: dict[str, Any] = doc["runs"][0]["results"][0]
        return result

    first, moved = rendered(10), rendered(250)
    assert first["partialFingerprints"] == moved["partialFingerprints"]
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 10}
    assert moved["locations"][0]["physicalLocation"]["region"] == {"startLine": 250}


def test_region_only_when_the_line_is_known() -> None:
    results = _golden_doc()["runs"][0]["results"]
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in results]
    assert regions == [{"startLine": 42}, None, None, None, None, None, None]


@pytest.mark.parametrize(
    ("artifact", "expected"),
    [
        ("wb.twbx", {"uri": "wb.twbx", "uriBaseId": "%SRCROOT%"}),
        ("a b/wb#1.twb", {"uri": "a%20b/wb%231.twb", "uriBaseId": "%SRCROOT%"}),
        ("./a/../b/ü.twb", {"uri": "a/../b/%C3%BC.twb", "uriBaseId": "%SRCROOT%"}),
        ("/srv/wb s.twb", {"uri": "file:///srv/wb%20s.twb"}),
        (SERVER_URL, {"uri": SERVER_URL}),
        ("https://t.example.com/#/site/a b/x", {"uri": "https://t.example.com/#/site/a%20b/x"}),
    ],
)  # fmt: skip
def test_artifact_location(artifact: str, expected: dict[str, str]) -> None:
    assert artifact_location(artifact) == expected


def test_logical_locations_name_item_datasource_and_field_once() -> None:
    run = _golden_doc()["runs"][0]
    nodes = run["logicalLocations"]
    source = "reports/permits dept.twbx"
    assert [(n["kind"], n["name"], n.get("parentIndex")) for n in nodes] == [
        ("workbook", "Permits <script>alert(1)</script> | `x`", None),
        ("datasource", "Permits", 0),
        ("connection", "pg", 1),
        ("attribute", "password", 2),
        ("column", "=cmd|' /C calc'!A0", 1),
        ("column", "@security-team\x1b[2J", 1),
        ("workbook", "Payroll", None),
        ("capability", "Read", 6),
        ("column", "Employee ID", 1),
        ("view", "Overview", 6),
        ("capability", "Read", 9),
    ]
    assert nodes[3]["fullyQualifiedName"] == f"{source} › Permits › pg › password"
    first = run["results"][0]["locations"][0]["logicalLocations"]
    assert first == [
        {
            "index": 3,
            "name": "password",
            "fullyQualifiedName": f"{source} › Permits › pg › password",
            "kind": "attribute",
        }
    ]


def test_execution_successful_follows_completeness() -> None:
    def invocation(complete: bool) -> dict[str, Any]:
        doc = json.loads(SarifReporter().render(make_result(complete=complete)))
        assert schema_errors(doc) == []
        result: dict[str, Any] = doc["runs"][0]["invocations"][0]
        return result

    assert invocation(True) == {"executionSuccessful": True}
    assert invocation(False) == {"executionSuccessful": False}


def test_each_item_risk_and_reasons_are_in_the_run_properties() -> None:
    items = _golden_doc()["runs"][0]["properties"]["items"]
    assert [(i["source"], i["risk"]["level"], i["risk"]["reasons"]) for i in items] == [
        ("reports/permits dept.twbx", "high", ["a stored password", "2 unused"]),
        (SERVER_URL, "medium", ["visible to All Users"]),
        ("clean.twb", "none", ["no findings"]),
    ]


def test_real_catalogue_and_empty_run_are_valid() -> None:
    empty = make_result(items=(), rules_run=tuple(rule.id for rule in ALL_RULES))
    doc = json.loads(SarifReporter().render(empty))
    assert schema_errors(doc) == []
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]] == [
        rule.id for rule in ALL_RULES
    ]
    assert doc["runs"][0]["results"] == []
    assert "logicalLocations" not in doc["runs"][0]


def test_a_finding_of_an_unknown_rule_still_has_a_descriptor() -> None:
    finding = make_finding(rule_id="TA999", severity=Severity.LOW)
    result = make_result(items=(make_item(findings=(finding,)),), rules_run=())
    doc = json.loads(SarifReporter(rules=golden_rules()).render(result))
    assert doc["runs"][0]["tool"]["driver"]["rules"] == [{"id": "TA999"}]
    assert doc["runs"][0]["results"][0]["ruleIndex"] == 0
    assert schema_errors(doc) == []


def test_skipped_input_with_undecodable_name_is_still_valid() -> None:
    # NOTE: built by hand: findings.fingerprint() cannot hash a lone surrogate (reported).
    source = "bad\udcff name.twb"
    finding = Finding(
        rule_id="TA901",
        severity=Severity.HIGH,
        message=f"Could not audit {source}: not a Tableau file",
        location=Location(artifact=source),
        fingerprint="0" * 32,
    )
    skipped = Skipped(source=source, reason="not a Tableau file", finding=finding)
    doc = json.loads(SarifReporter().render(make_result(items=(), skipped=(skipped,))))
    uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"].startswith("bad%")
    assert schema_errors(doc) == []
