"""TA901 could-not-audit and TA903 rule-failed: the engine's own diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.findings import Severity, Violation
from tableau_audit.model import Workbook
from tableau_audit.rules import ALL_RULES, RULES_BY_ID, RuleContext
from tests.rules.conftest import findings_of, fixture, run


def test_ta901_fail_empty_file_is_skipped_with_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.twbx"
    empty.write_bytes(b"")
    result = run(empty)
    assert result.items == ()
    assert [s.source for s in result.skipped] == [str(empty)]
    assert "empty" in result.skipped[0].reason.lower()
    [finding] = findings_of(result, "TA901")
    assert finding.severity is Severity.HIGH


def test_ta901_pass_readable_file() -> None:
    result = run(fixture("TA303_pass_no_secret.twb"))
    assert findings_of(result, "TA901") == []
    assert result.skipped == ()


def test_ta901_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    bad = tmp_path / "bad.twb"
    bad.write_bytes(b"\xff\xfe not xml")
    result = audit([bad, fixture("TA303_pass_no_secret.twb")], AuditConfig())
    assert [s.source for s in result.skipped] == [str(bad)]
    assert len(result.items) == 1


def _exploding_check(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    raise RuntimeError("boom")
    yield  # pragma: no cover


def test_ta903_fail_a_crashing_rule_is_reported_and_others_still_run() -> None:
    crashing = replace(RULES_BY_ID["TA101"], id="TA199", check=_exploding_check)
    result = audit(
        [fixture("TA101_fail_unused_ssn_email.twb")], AuditConfig(), rules=(*ALL_RULES, crashing)
    )
    failures = findings_of(result, "TA903")
    assert [f.location.object_path for f in failures] == [("rule:TA199",)]
    assert "boom" not in failures[0].message  # exception text may echo data: never shown
    assert findings_of(result, "TA101")


def test_ta903_pass_no_failure_with_the_registry() -> None:
    assert findings_of(run(fixture("TA101_fail_unused_ssn_email.twb")), "TA903") == []
