"""Factories for hand-built findings, items and results (detect-secrets' ``testing/factories.py``).

Each takes keyword overrides so a test states only what it is about.
"""

from __future__ import annotations

from typing import Any

from tableau_audit.classify.types import ColumnClassification, PiiType, Tier
from tableau_audit.findings import (
    AuditResult,
    ColumnReport,
    Finding,
    ItemReport,
    Location,
    Risk,
    RiskLevel,
    Severity,
    Skipped,
    fingerprint,
)
from tableau_audit.model import ArtifactKind


def make_finding(**overrides: Any) -> Finding:
    """A TA101 finding on ``Permits.SSN`` of ``wb.twbx`` unless overridden."""
    location = overrides.pop("location", None) or Location(
        artifact=overrides.pop("artifact", "wb.twbx"),
        object_path=overrides.pop("object_path", ("datasource:Permits", "column:SSN")),
    )
    rule_id = overrides.pop("rule_id", "TA101")
    values: dict[str, Any] = {
        "rule_id": rule_id,
        "severity": Severity.MEDIUM,
        "message": "Confidential column 'SSN' in 'Permits' is never used",
        "location": location,
        "fingerprint": fingerprint(rule_id, location.artifact, location.object_path),
        "evidence": {},
    }
    values.update(overrides)
    return Finding(**values)


def make_classification(**overrides: Any) -> ColumnClassification:
    """A high-tier SSN classification from the name only, unless overridden."""
    values: dict[str, Any] = {
        "pii_type": PiiType.SSN,
        "tier": Tier.HIGH,
        "confidence": 0.9,
        "signals": {"name_tokens": ("ssn",)},
    }
    values.update(overrides)
    return ColumnClassification(**values)


def make_column(**overrides: Any) -> ColumnReport:
    """An unused, extracted, classified ``Permits.SSN`` column unless overridden."""
    values: dict[str, Any] = {
        "datasource": "Permits",
        "field": "SSN",
        "remote_name": "ssn",
        "in_extract": True,
        "used": False,
        "hidden": False,
        "classification": make_classification(),
    }
    values.update(overrides)
    return ColumnReport(**values)


def make_item(**overrides: Any) -> ItemReport:
    """A workbook ``wb.twbx`` with one finding and one column unless overridden."""
    source = overrides.get("source", "wb.twbx")
    values: dict[str, Any] = {
        "source": source,
        "kind": ArtifactKind.WORKBOOK,
        "name": "wb",
        "risk": Risk(level=RiskLevel.MEDIUM, score=40, reasons=("1 unused confidential column",)),
        "findings": (make_finding(artifact=source),),
        "columns": (make_column(),),
    }
    values.update(overrides)
    return ItemReport(**values)


def make_skipped(
    source: str = "broken.twb", reason: str = "not a Tableau file", **overrides: Any
) -> Skipped:
    """A skipped input with its TA901 finding."""
    finding = make_finding(
        rule_id="TA901",
        severity=overrides.pop("severity", Severity.HIGH),
        message=f"Could not audit {source}: {reason}",
        location=Location(artifact=source),
        evidence={"reason": reason},
    )
    return Skipped(source=source, reason=reason, finding=finding)


def make_result(**overrides: Any) -> AuditResult:
    """One item with one finding and nothing skipped, unless overridden."""
    values: dict[str, Any] = {
        "items": (make_item(),),
        "skipped": (),
        "rules_run": ("TA101", "TA901"),
    }
    values.update(overrides)
    return AuditResult(**values)
