"""JSON report: the machine-readable contract of issue 2 (``schema_version`` 1).

Keys are sorted and lists keep the engine's deterministic order, so two runs over the same
input give byte-identical output. No clock, no host name, no absolute temp paths.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tableau_audit import __version__
from tableau_audit.classify.types import ColumnClassification
from tableau_audit.errors import ReportError
from tableau_audit.findings import (
    Audience,
    AuditResult,
    ColumnReport,
    Exposure,
    ExtractReport,
    Finding,
    ItemReport,
    Severity,
    Skipped,
    SuppressedFinding,
)
from tableau_audit.reports.interface import Summary, summarize

if TYPE_CHECKING:
    from tableau_audit.rules.base import Rule

SCHEMA_VERSION = 1
TOOL_NAME = "tableau-audit"

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


class JsonReporter:
    """Renders an :class:`AuditResult` (and the rule catalogue) as JSON."""

    name = "json"

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The whole result as one JSON document (``color`` and ``fail_on`` are ignored)."""
        return dumps(result_to_dict(result))

    def render_rules(self, rules: Sequence[Rule], *, color: bool = False) -> str:
        """The rule catalogue as ``{"schema_version", "tool", "rules": [...]}``."""
        return dumps({**_header(), "rules": [rule_to_dict(rule) for rule in rules]})


def dumps(document: Mapping[str, JsonValue]) -> str:
    """Serialise deterministically: sorted keys, two-space indent, trailing newline."""
    try:
        text = json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as error:  # NaN/inf would make invalid JSON; the message names no value
        raise ReportError("json report: a number is not finite") from error
    return text + "\n"


def _header() -> dict[str, JsonValue]:
    return {"schema_version": SCHEMA_VERSION, "tool": {"name": TOOL_NAME, "version": __version__}}


def result_to_dict(result: AuditResult) -> dict[str, JsonValue]:
    """The contract document as plain JSON values."""
    summary: dict[str, JsonValue] = {**summary_to_dict(summarize(result)), **gate_counts(result)}
    document: dict[str, JsonValue] = {
        **_header(),
        "complete": result.complete,
        "rules_run": list(result.rules_run),
        "workbooks": [item_to_dict(item) for item in result.items],
        "skipped": [skipped_to_dict(skip) for skip in result.skipped],
        "summary": summary,
        **accepted_to_dict(result),
    }
    if result.changes is not None:  # NOTE: --history only (issue 6); else not even imported
        from tableau_audit.reports.changes_view import change_counts, changes_to_dict

        summary.update(change_counts(result))
        document.update(changes_to_dict(result))
    return document


def gate_counts(result: AuditResult) -> dict[str, JsonValue]:
    """Summary counts of the gate: new findings (gating), baseline and suppressed ones."""
    return {
        "new": len(result.findings),
        "baseline": len(result.baseline),
        "suppressed": len(result.suppressed),
    }


def accepted_to_dict(result: AuditResult) -> dict[str, JsonValue]:
    """Findings that do not gate (baseline, suppressed with reasons) and expired suppressions."""
    return {
        "baseline": [finding_to_dict(finding) for finding in result.baseline],
        "suppressed": [suppressed_to_dict(entry) for entry in result.suppressed],
        "expired_suppressions": [
            {
                "index": e.index,
                "selector": e.selector,
                "reason": e.reason,
                "expires": e.expires.isoformat(),
                "findings": e.findings,
            }
            for e in result.expired_suppressions
        ],
    }


def suppressed_to_dict(entry: SuppressedFinding) -> dict[str, JsonValue]:
    """A suppressed finding with the suppression's reason and expiry date."""
    return {
        **finding_to_dict(entry.finding),
        "suppression": {
            "reason": entry.reason,
            "expires": entry.expires.isoformat() if entry.expires else None,
        },
    }


def item_to_dict(item: ItemReport) -> dict[str, JsonValue]:
    """One audited workbook, data source or extract."""
    return {
        "source": item.source,
        "kind": item.kind.value,
        "name": item.name,
        "project": item.project,
        "id": item.item_id,
        "version": item.version,
        "risk": {
            "level": item.risk.level.label,
            "score": item.risk.score,
            "reasons": list(item.risk.reasons),
        },
        "exposure": exposure_to_dict(item.exposure),
        "findings": [finding_to_dict(finding) for finding in item.findings],
        "columns": [column_to_dict(column) for column in item.columns],
        "extract_rows": item.extract_rows,
        "extracts": [extract_to_dict(e) for e in item.extracts],
    }


def exposure_to_dict(exposure: Exposure | None) -> dict[str, JsonValue] | None:
    """Who can view and download a published item (null for local files)."""
    if exposure is None:
        return None
    block: dict[str, JsonValue] = {
        key: audience_to_dict(audience) for key, audience in exposure.audiences.items()
    }
    block["governed_by"] = exposure.governed_by
    block["views_with_own_rules"] = list(exposure.views_with_own_rules)
    block["published_datasources"] = list(exposure.published_datasources)
    return block


def audience_to_dict(audience: Audience) -> dict[str, JsonValue]:
    """All Users / Guest flags, the other groups and users, and how many users hold it."""
    return {
        "all_users": audience.all_users,
        "guest": audience.guest,
        "groups": list(audience.groups),
        "users": list(audience.users),
        "users_allowed": audience.users_allowed,
    }


def finding_to_dict(finding: Finding) -> dict[str, JsonValue]:
    """One finding with its flattened data source / field and its logical location."""
    location = finding.location
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "message": finding.message,
        "datasource": location.datasource,
        "field": location.field,
        "fingerprint": finding.fingerprint,
        "evidence": _mapping(finding.evidence),
        "location": {
            "artifact": location.artifact,
            "object_path": list(location.object_path),
            "line": location.line,
        },
    }


def column_to_dict(column: ColumnReport) -> dict[str, JsonValue]:
    """One physical column with usage and classification (null when not classified)."""
    return {
        "datasource": column.datasource,
        "field": column.field,
        "remote_name": column.remote_name,
        "in_extract": column.in_extract,
        "used": column.used,
        "hidden": column.hidden,
        "used_by": list(column.used_by),
        "extract_only": column.extract_only,
        "classification": classification_to_dict(column.classification),
    }


def classification_to_dict(found: ColumnClassification | None) -> dict[str, JsonValue] | None:
    """Type, tier and evidence; exemplars are masked by the classifier, never raw values."""
    if found is None:
        return None
    return {
        "type": found.pii_type.value,
        "tier": found.tier.label,
        "confidence": found.confidence,
        "signals": _mapping(found.signals),
        "name_only": found.name_only,
        "sample_size": found.sample_size,
        "match_count": found.match_count,
        "exemplars": list(found.exemplars),
        "classifier_version": found.classifier_version,
    }


def skipped_to_dict(skip: Skipped) -> dict[str, JsonValue]:
    """An input that could not be audited, with its TA901 finding's identity."""
    return {
        "source": skip.source,
        "reason": skip.reason,
        "rule_id": skip.finding.rule_id,
        "severity": skip.finding.severity.label,
        "fingerprint": skip.finding.fingerprint,
    }


def summary_to_dict(summary: Summary) -> dict[str, JsonValue]:
    """Counts by severity, rule and risk level; items; confidential columns."""
    return {
        "items_audited": summary.items_audited,
        "items_skipped": summary.items_skipped,
        "findings": summary.findings,
        "by_severity": {s.label: n for s, n in summary.by_severity.items()},
        "by_rule": dict(summary.by_rule),
        "by_risk_level": {r.label: n for r, n in summary.by_risk.items()},
        "confidential_columns": summary.confidential_columns,
        "unused_confidential_columns": summary.unused_confidential_columns,
        "confidential_columns_by_tier": {
            t.label: n for t, n in summary.confidential_by_tier.items()
        },
        "max_severity": summary.max_severity.label if summary.max_severity is not None else None,
    }


def rule_to_dict(rule: Rule) -> dict[str, JsonValue]:
    """Catalogue entry of one rule (metadata is written once, on the rule)."""
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity.label,
        "summary": rule.summary,
        "help": rule.help,
        "help_uri": rule.help_uri,
        "needs": rule.needs.value,
        "applies_to": [kind.value for kind in sorted(rule.applies_to)],
        "graded": rule.graded,
        "tags": list(rule.tags),
        "cwe": rule.cwe,
        "deprecated": rule.deprecated,
    }


def _mapping(values: Mapping[str, object]) -> dict[str, JsonValue]:
    return {str(key): _plain(value) for key, value in values.items()}


def _plain(value: object) -> JsonValue:
    """Evidence and signals as JSON: enums by label/value, sets sorted, unknowns as text."""
    if isinstance(value, enum.Enum):  # before int/str: Severity and Tier are IntEnums
        label = getattr(value, "label", None)
        return label if isinstance(label, str) else _plain(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def extract_to_dict(extract: ExtractReport) -> dict[str, JsonValue]:
    """One extract summary: counts only."""
    return {
        "datasource": extract.datasource,
        "file": extract.file,
        "status": extract.status,
        "readable": extract.readable,
        "tables": extract.tables,
        "rows": extract.rows,
        "columns": extract.columns,
        "undescribed_columns": extract.undescribed_columns,
        "confidential_columns": extract.confidential_columns,
    }
