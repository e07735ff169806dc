"""Golden files for the machine formats, and the hand-built result they are rendered from.

Regenerate after an intended change with ``TABLEAU_AUDIT_UPDATE_GOLDEN=1 pytest tests/reports``
and review the diff. The tool version is written as ``{version}`` so a release does not churn
the files. The result carries hostile names (``<script>``, ``|``, backticks, ``=cmd``,
``@team``, control characters) so every golden file also shows the escaping.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from pathlib import Path
from typing import Any

from tableau_audit import __version__
from tableau_audit.changes import Change, RunChanges, RunRef, changed_finding
from tableau_audit.findings import (
    AuditResult,
    ExpiredSuppression,
    Location,
    Risk,
    RiskLevel,
    Severity,
    SuppressedFinding,
)
from tableau_audit.model import ArtifactKind
from tableau_audit.rules.base import Rule
from tests.factories import (
    make_column,
    make_finding,
    make_item,
    make_result,
    make_skipped,
)

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
UPDATE_ENV = "TABLEAU_AUDIT_UPDATE_GOLDEN"

HOSTILE_WORKBOOK = "Permits <script>alert(1)</script> | `x`"
HOSTILE_COLUMN = "=cmd|' /C calc'!A0"
SERVER_URL = "https://tableau.example.com/#/site/hr/workbooks/1234"
GONE_URL = "https://tableau.example.com/#/site/hr/workbooks/5678"
"""A workbook that was audited before and is no longer on the site."""
NOW = "2026-11-26T02:00:00Z"
"""This run's start in :func:`golden_result_with_changes` (first seen of brand-new findings)."""
REFERENCE = RunRef(id=7, started="2026-11-25T02:00:00Z")


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>``; rewrite the file instead when asked to."""
    path = GOLDEN_DIR / name
    normalised = text.replace(__version__, "{version}")
    if os.environ.get(UPDATE_ENV):
        GOLDEN_DIR.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(normalised)
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert normalised == expected, f"{name} differs; set {UPDATE_ENV}=1 to regenerate"


def sarif_schema() -> dict[str, Any]:
    """The vendored official SARIF 2.1.0 schema (see schemas/README.md)."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def golden_rules() -> tuple[Rule, ...]:
    """A fixed catalogue, so that editing a real rule's help does not change the golden files."""

    def rule(rule_id: str, name: str, severity: Severity, tags: tuple[str, ...], cwe: int | None):
        return Rule(
            id=rule_id,
            name=name,
            severity=severity,
            summary=f"Summary of {name}.",
            help=f"**Why it matters.** Help for `{name}`.\n\n**How to fix.** Fix *it*.",
            check=None,
            tags=tags,
            cwe=cwe,
        )

    return (
        rule("TA101", "unused-confidential-column", Severity.MEDIUM, ("data-exposure",), 200),
        rule("TA201", "viewable-by-all-users", Severity.MEDIUM, ("sharing",), 732),
        rule("TA301", "stored-password", Severity.HIGH, ("credentials",), 798),
        rule("TA901", "could-not-audit", Severity.HIGH, ("diagnostic",), None),
    )


def golden_result() -> AuditResult:
    """Three items (local with findings, server with a finding, clean), one skipped input,
    one suppressed finding, one baseline finding and one expired suppression."""
    local = "reports/permits dept.twbx"
    password = make_finding(
        rule_id="TA301",
        severity=Severity.HIGH,
        message=f"A password is stored for connection 'pg' of {HOSTILE_WORKBOOK!r}",
        location=Location(
            artifact=local,
            object_path=("datasource:Permits", "connection:pg", "attribute:password"),
            line=42,
        ),
    )
    unused = make_finding(
        rule_id="TA101",
        artifact=local,
        object_path=("datasource:Permits", f"column:{HOSTILE_COLUMN}"),
        message=f"Confidential column {HOSTILE_COLUMN!r} in 'Permits' is never used",
    )
    mention = make_finding(
        rule_id="TA101",
        artifact=local,
        object_path=("datasource:Permits", "column:@security-team\x1b[2J"),
        message="Confidential column '@security-team\\x1b[2J' in 'Permits' is never used",
    )
    permits = make_item(
        source=local,
        name=HOSTILE_WORKBOOK,
        project="Finance | HR",
        risk=Risk(level=RiskLevel.HIGH, score=72, reasons=("a stored password", "2 unused")),
        findings=(password, unused, mention),
        columns=(make_column(field=HOSTILE_COLUMN),),
    )
    everyone = make_finding(
        rule_id="TA201",
        artifact=SERVER_URL,
        object_path=("capability:Read",),
        message="All Users can see this workbook: View (Read) is allowed",
    )
    payroll = make_item(
        source=SERVER_URL,
        name="Payroll",
        project="-HR",
        item_id="1234",
        risk=Risk(level=RiskLevel.MEDIUM, score=40, reasons=("visible to All Users",)),
        findings=(everyone,),
        columns=(),
    )
    clean = make_item(
        source="clean.twb",
        name="clean",
        kind=ArtifactKind.WORKBOOK,
        risk=Risk(level=RiskLevel.NONE, score=0, reasons=("no findings",)),
        findings=(),
        columns=(),
    )
    accepted = make_finding(
        rule_id="TA101",
        artifact=local,
        object_path=("datasource:Permits", "column:Employee ID"),
        message="Confidential column 'Employee ID' in 'Permits' is never used",
    )
    known = make_finding(
        rule_id="TA201",
        artifact=SERVER_URL,
        object_path=("view:Overview", "capability:Read"),
        message="All Users can see view 'Overview': View (Read) is allowed",
    )
    return make_result(
        items=(permits, payroll, clean),
        skipped=(make_skipped("broken dir/bad.twb", "not a Tableau file (starts with 'PK')"),),
        rules_run=("TA101", "TA201", "TA301", "TA901"),
        suppressed=(
            SuppressedFinding(
                finding=accepted,
                reason="Masked at source <b>HR-42</b> | ok",
                expires=datetime.date(2027, 1, 31),
            ),
        ),
        baseline=(known,),
        expired_suppressions=(
            ExpiredSuppression(
                index=1,
                selector="TA201 workbook='Payroll'",
                reason="until the re-org",
                expires=datetime.date(2026, 1, 31),
                findings=1,
            ),
        ),
    )


def golden_result_with_changes() -> AuditResult:
    """:func:`golden_result` in a nightly run compared with run 7 of its history.

    New: the stored password, the skipped input's TA901 and the All Users finding (open once
    before, resolved, back again). Persisting: the two unused columns. Resolved: a password on
    another connection, and a hostile column of a workbook no longer on the site. Unchecked: a
    finding of the input that could not be audited this time. Suppressed and baseline findings
    take no part (they never gate). The lists are in ``changes.compare``'s order, worst first.
    """
    result = golden_result()
    password, unused, mention = result.items[0].findings
    (everyone,) = result.items[1].findings
    skipped = result.skipped[0].finding
    old_password = make_finding(
        rule_id="TA301",
        severity=Severity.HIGH,
        message=f"A password is stored for connection 'old' of {HOSTILE_WORKBOOK!r}",
        artifact=password.location.artifact,
        object_path=("datasource:Permits", "connection:old", "attribute:password"),
    )
    gone = make_finding(
        rule_id="TA101",
        artifact=GONE_URL,
        object_path=("datasource:Old", f"column:{HOSTILE_COLUMN}"),
        message=f"Confidential column {HOSTILE_COLUMN!r} in 'Old' is never used",
    )
    unchecked = make_finding(
        rule_id="TA101",
        artifact=result.skipped[0].source,
        object_path=("datasource:Sales", "column:Email"),
        message="Confidential column 'Email' in 'Sales' is never used",
    )
    earlier, long_ago = "2026-11-20T02:00:00Z", "2026-09-01T02:00:00Z"
    changes = RunChanges(
        reference=REFERENCE,
        run_id=8,
        new=(
            changed_finding(Change.NEW, password, NOW),
            changed_finding(Change.NEW, skipped, NOW),
            changed_finding(Change.NEW, everyone, long_ago, reopened=True),
        ),
        persisting=(
            changed_finding(Change.PERSISTING, unused, earlier),
            changed_finding(Change.PERSISTING, mention, earlier),
        ),
        resolved=(
            changed_finding(Change.RESOLVED, old_password, long_ago),
            changed_finding(Change.RESOLVED, gone, earlier),
        ),
        unchecked=(changed_finding(Change.UNCHECKED, unchecked, earlier),),
    )
    return dataclasses.replace(result, changes=changes)
