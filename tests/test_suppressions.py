"""Suppressions: matching, expiry, the engine's gate and the CLI (exit codes, JSON, stderr)."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig
from tableau_audit.engine import build_result
from tableau_audit.findings import Location, Severity
from tableau_audit.rules import ALL_RULES
from tableau_audit.suppressions import Suppression, apply_suppressions, describe_expired
from tests.factories import make_finding, make_item, make_skipped

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
TODAY = datetime.date(2026, 6, 1)
SSN = make_finding(artifact="finance/payroll.twbx", severity=Severity.HIGH)
EMAIL = make_finding(
    artifact="finance/payroll.twbx",
    object_path=("datasource:Permits", "column:Email"),
    severity=Severity.LOW,
)
PASSWORD = make_finding(
    rule_id="TA301",
    artifact="finance/payroll.twbx",
    object_path=("datasource:Permits", "attribute:password"),
    severity=Severity.HIGH,
)
PAYROLL = make_item(
    source="finance/payroll.twbx", name="Payroll Q1", findings=(SSN, EMAIL, PASSWORD)
)


def by_rule(**fields: object) -> Suppression:
    values: dict[str, object] = {"index": 0, "reason": "accepted", "rule": "TA101"}
    values.update(fields)
    return Suppression(**values)  # type: ignore[arg-type]


def suppressed_by(*suppressions: Suppression) -> set[str]:
    outcome = apply_suppressions([PAYROLL], [], suppressions, today=TODAY)
    return {s.finding.fingerprint for s in outcome.suppressed}


# --- matching ----------------------------------------------------------------------------------


def test_by_fingerprint_only_that_finding() -> None:
    assert suppressed_by(Suppression(index=0, reason="r", fingerprint=EMAIL.fingerprint)) == {
        EMAIL.fingerprint
    }


@pytest.mark.parametrize(
    ("workbook", "expected"),
    [
        ("finance/payroll.twbx", {SSN.fingerprint, EMAIL.fingerprint}),  # the source
        ("*.twbx", {SSN.fingerprint, EMAIL.fingerprint}),  # the source or the file name
        ("payroll.twbx", {SSN.fingerprint, EMAIL.fingerprint}),  # the file name
        ("Payroll Q*", {SSN.fingerprint, EMAIL.fingerprint}),  # the item's name
        ("hr/*", set()),
        ("PAYROLL.twbx", set()),  # case-sensitive: the same glob gives the same answer anywhere
    ],
)
def test_by_rule_and_workbook_glob(workbook: str, expected: set[str]) -> None:
    assert suppressed_by(by_rule(workbook=workbook)) == expected


def test_field_and_datasource_narrow_the_match() -> None:
    assert suppressed_by(by_rule(workbook="*", field="SSN")) == {SSN.fingerprint}
    assert suppressed_by(by_rule(workbook="*", field="E*", datasource="Perm*")) == {
        EMAIL.fingerprint
    }
    assert suppressed_by(by_rule(workbook="*", datasource="Other")) == set()
    # A finding without a field never matches a field glob, even "*".
    assert suppressed_by(by_rule(rule="TA301", workbook="*", field="*")) == set()
    assert suppressed_by(by_rule(rule="TA301", workbook="*")) == {PASSWORD.fingerprint}


def test_suppressed_findings_leave_the_item_with_their_reason() -> None:
    suppression = by_rule(workbook="*", field="SSN", reason="pseudonymous, DPIA-17")
    outcome = apply_suppressions([PAYROLL], [], [suppression], today=TODAY)
    assert outcome.items[0].findings == (EMAIL, PASSWORD)
    assert [(s.finding, s.reason, s.expires) for s in outcome.suppressed] == [
        (SSN, "pseudonymous, DPIA-17", None)
    ]
    assert outcome.expired == ()


def test_skipped_input_can_be_suppressed() -> None:
    broken = make_skipped("vendor/legacy.twbx", "a legacy .tde extract")
    outcome = apply_suppressions(
        [], [broken], [by_rule(rule="TA901", workbook="legacy.twbx")], today=TODAY
    )
    assert outcome.skipped == ()
    assert [s.finding for s in outcome.suppressed] == [broken.finding]


# --- expiry ------------------------------------------------------------------------------------


def test_suppression_applies_through_its_expiry_day() -> None:
    last_day = by_rule(workbook="*", field="SSN", expires=TODAY)
    assert suppressed_by(last_day) == {SSN.fingerprint}


def test_expired_suppression_stops_suppressing_and_says_so() -> None:
    expired = by_rule(
        index=3, workbook="*.twbx", field="SSN", expires=TODAY - datetime.timedelta(1)
    )
    unused = Suppression(
        index=4, reason="old", fingerprint="0" * 32, expires=datetime.date(2020, 1, 1)
    )
    outcome = apply_suppressions([PAYROLL], [], [expired, unused], today=TODAY)
    assert outcome.suppressed == ()
    assert outcome.items[0].findings == PAYROLL.findings
    assert [(e.index, e.findings, e.expires) for e in outcome.expired] == [
        (3, 1, datetime.date(2026, 5, 31)),
        (4, 0, datetime.date(2020, 1, 1)),
    ]
    assert describe_expired(outcome.expired[0]) == (
        "suppress[3] (TA101 workbook='*.twbx' field='SSN') expired on 2026-05-31: it no longer "
        "suppresses anything; 1 finding(s) it covered are reported again"
    )


# --- engine ------------------------------------------------------------------------------------


def test_engine_gate_counts_only_unsuppressed_findings() -> None:
    config = AuditConfig(suppressions=(by_rule(rule="TA301", workbook="*", reason="rotated"),))
    result = build_result([PAYROLL], [], ALL_RULES, config, today=TODAY)
    assert result.findings == (SSN, EMAIL)
    assert [s.finding for s in result.suppressed] == [PASSWORD]
    everything = AuditConfig(
        suppressions=(by_rule(rule="TA301", workbook="*"), by_rule(workbook="*"))
    )
    result = build_result([PAYROLL], [], ALL_RULES, everything, today=TODAY)
    assert result.findings == ()
    assert result.max_severity is None
    assert result.items[0].risk == PAYROLL.risk  # risk describes the item, not the gate


# --- CLI ---------------------------------------------------------------------------------------


def scan(tmp_path: Path, config: str, *args: str) -> tuple[int, dict[str, Any], str]:
    target = tmp_path / "TA301_fail_password.tds"
    shutil.copyfile(FIXTURES / "TA301_fail_password.tds", target)
    (tmp_path / "audit.toml").write_text(config, encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["scan", str(target), "--config", str(tmp_path / "audit.toml"), "-f", "json", *args],
    )
    document = json.loads(result.stdout) if result.exit_code != 2 else {}
    return result.exit_code, document, result.stderr


def test_cli_suppressed_finding_does_not_fail_and_is_listed(tmp_path: Path) -> None:
    code, doc, _ = scan(
        tmp_path,
        '[[suppress]]\nrule = "TA301"\nworkbook = "TA301_*.tds"\n'
        'reason = "test database, no real data"\nexpires = 2999-12-31\n',
    )
    assert code == 0
    assert doc["summary"]["suppressed"] == 1
    assert doc["summary"]["new"] == 0
    (entry,) = doc["suppressed"]
    assert entry["rule_id"] == "TA301"
    assert entry["suppression"] == {
        "reason": "test database, no real data",
        "expires": "2999-12-31",
    }


def test_cli_expired_suppression_fails_again_and_warns(tmp_path: Path) -> None:
    code, doc, stderr = scan(
        tmp_path,
        '[[suppress]]\nrule = "TA301"\nworkbook = "*"\nreason = "until rotation"\n'
        "expires = 2001-01-31\n",
    )
    assert code == 1
    assert doc["summary"]["suppressed"] == 0
    assert doc["expired_suppressions"] == [
        {
            "index": 0,
            "selector": "TA301 workbook='*'",
            "reason": "until rotation",
            "expires": "2001-01-31",
            "findings": 1,
        }
    ]
    assert "suppress[0] (TA301 workbook='*') expired on 2001-01-31" in stderr


def test_cli_suppression_without_reason_is_a_config_error(tmp_path: Path) -> None:
    code, _, stderr = scan(tmp_path, '[[suppress]]\nrule = "TA301"\nworkbook = "*"\n')
    assert code == 2
    assert stderr.strip() == (
        f"Error: {tmp_path / 'audit.toml'}: suppress[0].reason: missing (required): say why the "
        "finding is accepted"
    )


def test_cli_console_lists_suppressed_findings_with_reasons(tmp_path: Path) -> None:
    target = tmp_path / "TA301_fail_password.tds"
    shutil.copyfile(FIXTURES / "TA301_fail_password.tds", target)
    (tmp_path / "audit.toml").write_text(
        '[[suppress]]\nrule = "TA301"\nworkbook = "*"\nreason = "fixture password"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli, ["scan", str(target), "--config", str(tmp_path / "audit.toml"), "--no-color"]
    )
    assert result.exit_code == 0
    assert "Accepted findings (not counted towards --fail-on)" in result.stdout
    assert "suppressed: 1 finding(s)" in result.stdout
    assert "fixture password" in result.stdout


def test_location_helpers_used_by_field_globs() -> None:
    finding = make_finding(location=Location(artifact="a.twb", object_path=("column:SSN",)))
    assert (finding.location.datasource, finding.location.field) == (None, "SSN")
    assert not by_rule(workbook="*", datasource="*").matches(finding, source="a.twb", name="a")
