"""JSON reporter: the issue-2 contract keys, values, summary figures and determinism."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tableau_audit import __version__
from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.errors import ReportError
from tableau_audit.findings import Location, Risk, RiskLevel, Severity
from tableau_audit.model import ArtifactKind
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.json import JsonReporter
from tableau_audit.rules import ALL_RULES
from tests.factories import (
    make_classification,
    make_column,
    make_finding,
    make_item,
    make_result,
    make_skipped,
)

TOP_KEYS = {"schema_version", "tool", "complete", "rules_run", "workbooks", "skipped", "summary"}
TOP_KEYS |= {"baseline", "suppressed", "expired_suppressions"}  # issue 5: the gate
ITEM_KEYS = {
    "source", "kind", "name", "project", "id", "version", "risk", "findings", "columns",
    "extract_rows", "extracts", "exposure",
}  # fmt: skip
FINDING_KEYS = {
    "rule_id", "severity", "message", "datasource", "field", "fingerprint", "evidence", "location",
}  # fmt: skip
COLUMN_KEYS = {
    "datasource", "field", "remote_name", "in_extract", "used", "hidden", "used_by",
    "extract_only", "classification",
}  # fmt: skip
CLASSIFICATION_KEYS = {
    "type", "tier", "confidence", "signals", "name_only", "sample_size", "match_count",
    "exemplars", "classifier_version",
}  # fmt: skip
SUMMARY_KEYS = {
    "items_audited", "items_skipped", "findings", "by_severity", "by_rule", "by_risk_level",
    "confidential_columns", "unused_confidential_columns", "confidential_columns_by_tier",
    "max_severity",
    "new", "baseline", "suppressed",
}  # fmt: skip
SEVERITIES = {"critical", "high", "medium", "low", "info"}


def _render(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(JsonReporter().render(make_result(**overrides)))
    return document


def test_registry_holds_the_json_reporter_under_its_name() -> None:
    assert isinstance(REPORTERS["json"], JsonReporter)
    assert all(name == reporter.name for name, reporter in REPORTERS.items())


def test_contract_keys_exist_at_every_level() -> None:
    doc = _render(skipped=(make_skipped(),))
    assert set(doc) == TOP_KEYS
    assert doc["schema_version"] == 1
    assert doc["tool"] == {"name": "tableau-audit", "version": __version__}
    item = doc["workbooks"][0]
    assert set(item) == ITEM_KEYS
    assert set(item["risk"]) == {"level", "score", "reasons"}
    assert set(item["findings"][0]) == FINDING_KEYS
    assert set(item["findings"][0]["location"]) == {"artifact", "object_path", "line"}
    assert set(item["columns"][0]) == COLUMN_KEYS
    assert set(item["columns"][0]["classification"]) == CLASSIFICATION_KEYS
    assert set(doc["skipped"][0]) == {"source", "reason", "rule_id", "severity", "fingerprint"}
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert set(doc["summary"]["by_severity"]) == SEVERITIES


def test_values_are_plain_labels() -> None:
    finding = make_finding(
        severity=Severity.HIGH, evidence={"type": PiiType.SSN, "tier": Tier.HIGH}
    )
    item = make_item(
        kind=ArtifactKind.EXTRACT,
        project="Finance",
        item_id="abc-123",
        extract_rows=1200,
        risk=Risk(level=RiskLevel.HIGH, score=75, reasons=("unused high-tier column",)),
        findings=(finding,),
        columns=(make_column(), make_column(field="Region", classification=None, used=True)),
    )
    doc = _render(items=(item,))
    wb = doc["workbooks"][0]
    assert (wb["kind"], wb["project"], wb["id"], wb["extract_rows"]) == (
        "extract",
        "Finance",
        "abc-123",
        1200,
    )
    assert wb["risk"] == {"level": "high", "score": 75, "reasons": ["unused high-tier column"]}
    assert wb["findings"][0] == {
        "rule_id": "TA101",
        "severity": "high",
        "message": finding.message,
        "datasource": "Permits",
        "field": "SSN",
        "fingerprint": finding.fingerprint,
        "evidence": {"type": "ssn", "tier": "high"},
        "location": {
            "artifact": "wb.twbx",
            "object_path": ["datasource:Permits", "column:SSN"],
            "line": None,
        },
    }
    ssn, region = wb["columns"]
    assert ssn["classification"]["type"] == "ssn"
    assert ssn["classification"]["tier"] == "high"
    assert ssn["classification"]["signals"] == {"name_tokens": ["ssn"]}
    assert region["classification"] is None


def test_finding_without_datasource_has_null_datasource_and_field() -> None:
    finding = make_finding(location=Location(artifact="wb.twbx", object_path=("package",), line=7))
    doc = _render(items=(make_item(findings=(finding,)),))
    out = doc["workbooks"][0]["findings"][0]
    assert (out["datasource"], out["field"], out["location"]["line"]) == (None, None, 7)


def test_evidence_sets_are_sorted_and_unknown_objects_become_text() -> None:
    evidence = {"kinds": frozenset({"b", "a", "c"}), "path": ("x", 1), "obj": object}
    doc = _render(items=(make_item(findings=(make_finding(evidence=evidence),)),))
    out = doc["workbooks"][0]["findings"][0]["evidence"]
    assert out["kinds"] == ["a", "b", "c"]
    assert out["path"] == ["x", 1]
    assert out["obj"] == str(object)


def test_summary_counts_every_finding_including_skipped_inputs() -> None:
    items = (
        make_item(source="a.twbx", findings=(make_finding(severity=Severity.HIGH),)),
        make_item(
            source="b.twbx",
            findings=(make_finding(rule_id="TA301", severity=Severity.HIGH), make_finding()),
            columns=(make_column(used=True), make_column(field="Email", used=False)),
            risk=Risk(level=RiskLevel.CRITICAL, score=90),
        ),
    )
    doc = _render(items=items, skipped=(make_skipped(), make_skipped(source="c.tde")))
    summary = doc["summary"]
    assert summary["by_severity"] == {"critical": 0, "high": 4, "medium": 1, "low": 0, "info": 0}
    assert summary["by_rule"] == {"TA101": 2, "TA301": 1, "TA901": 2}
    assert summary["by_risk_level"] == {"critical": 1, "high": 0, "medium": 1, "low": 0, "none": 0}
    assert (summary["items_audited"], summary["items_skipped"], summary["findings"]) == (2, 2, 5)
    assert summary["confidential_columns"] == 3
    assert summary["unused_confidential_columns"] == 2
    assert summary["confidential_columns_by_tier"] == {"high": 3, "moderate": 0, "low": 0}
    assert summary["max_severity"] == "high"


def test_low_tier_columns_count_only_when_the_policy_says_so() -> None:
    gender = make_column(field="Gender", classification=make_classification(tier=Tier.LOW))
    items = (make_item(columns=(gender, make_column())),)
    default = _render(items=items)["summary"]
    assert default["confidential_columns"] == 1
    lowered = _render(items=items, confidential_min_tier=Tier.LOW)["summary"]
    assert lowered["confidential_columns"] == 2
    assert lowered["confidential_columns_by_tier"] == {"high": 1, "moderate": 0, "low": 1}


def test_empty_run_has_null_max_severity() -> None:
    doc = _render(items=(), rules_run=())
    assert doc["workbooks"] == []
    assert doc["skipped"] == []
    assert doc["summary"]["max_severity"] is None
    assert doc["summary"]["findings"] == 0


def test_output_is_deterministic_and_sorted() -> None:
    items = (make_item(source="a.twbx"), make_item(source="b.twbx"))
    first = JsonReporter().render(make_result(items=items, skipped=(make_skipped(),)))
    second = JsonReporter().render(make_result(items=items, skipped=(make_skipped(),)))
    assert first == second
    assert first.endswith("}\n")
    doc = json.loads(first)
    assert list(doc) == sorted(doc)
    assert [w["source"] for w in doc["workbooks"]] == ["a.twbx", "b.twbx"]


def test_non_finite_number_is_a_report_error() -> None:
    column = make_column(classification=make_classification(confidence=math.nan))
    with pytest.raises(ReportError, match="not finite"):
        JsonReporter().render(make_result(items=(make_item(columns=(column,)),)))


def test_rule_catalogue_lists_every_rule_with_its_metadata() -> None:
    doc = json.loads(JsonReporter().render_rules(ALL_RULES))
    assert set(doc) == {"schema_version", "tool", "rules"}
    assert [r["id"] for r in doc["rules"]] == [rule.id for rule in ALL_RULES]
    first = doc["rules"][0]
    assert set(first) == {
        "id", "name", "severity", "summary", "help", "help_uri", "needs", "applies_to", "graded",
        "tags", "cwe", "deprecated",
    }  # fmt: skip
    assert first["severity"] == ALL_RULES[0].severity.label
