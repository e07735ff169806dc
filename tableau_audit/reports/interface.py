"""What a report format is, and the figures every format shows.

A reporter turns a frozen :class:`~tableau_audit.findings.AuditResult` into text; it never
writes files, reads settings or touches the network (the CLI writes the text). The summary is
computed here once so that every format shows the same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from tableau_audit.classify.types import Tier
from tableau_audit.findings import AuditResult, ColumnReport, RiskLevel, Severity
from tableau_audit.records import frozen

if TYPE_CHECKING:  # NOTE: the rules package is only needed by the `rules` command's renderers
    from tableau_audit.rules.base import Rule


@runtime_checkable
class Reporter(Protocol):
    """A report format. Registered by name in :data:`tableau_audit.reports.REPORTERS`."""

    name: str
    """Registry key and ``--format`` value."""

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """Render the whole result. ``color`` only matters to terminal formats.

        ``fail_on`` is the run's ``--fail-on`` threshold, for formats that mark findings at or
        above it (JUnit failures); the others ignore it.
        """
        ...


@runtime_checkable
class CatalogueReporter(Reporter, Protocol):
    """A format that can also render the rule catalogue (``tableau-audit rules``)."""

    def render_rules(self, rules: Sequence[Rule], *, color: bool = False) -> str:
        """Render the rule catalogue: id, name, default severity, summary (and more if useful)."""
        ...


@frozen
class Summary:
    """Figures about one run, shared by every format."""

    items_audited: int
    items_skipped: int
    findings: int
    """Every finding, including the TA901 findings of skipped inputs."""
    by_severity: Mapping[Severity, int]
    """All severities, zero counts included, so the shape never changes."""
    by_rule: Mapping[str, int]
    """Only rules that produced findings, sorted by id."""
    by_risk: Mapping[RiskLevel, int]
    """Audited items per risk level, zero counts included."""
    confidential_columns: int
    unused_confidential_columns: int
    confidential_by_tier: Mapping[Tier, int]
    """Confidential columns per tier (tiers below the policy threshold are 0)."""
    max_severity: Severity | None


def is_confidential(column: ColumnReport, result: AuditResult) -> bool:
    """True when the column is classified at or above the run's confidential tier."""
    found = column.classification
    return found is not None and found.tier >= result.confidential_min_tier


def confidential_columns(
    result: AuditResult, columns: Sequence[ColumnReport]
) -> list[ColumnReport]:
    """The confidential columns among ``columns``, in their original order."""
    return [column for column in columns if is_confidential(column, result)]


def summarize(result: AuditResult) -> Summary:
    """Count findings, items and confidential columns of a run."""
    findings = result.findings
    severities = Counter(f.severity for f in findings)
    rules = Counter(f.rule_id for f in findings)
    risks = Counter(item.risk.level for item in result.items)
    confidential = confidential_columns(result, [c for i in result.items for c in i.columns])
    tiers = Counter(c.classification.tier for c in confidential if c.classification is not None)
    return Summary(
        items_audited=len(result.items),
        items_skipped=len(result.skipped),
        findings=len(findings),
        by_severity={s: severities.get(s, 0) for s in sorted(Severity, reverse=True)},
        by_rule={rule_id: rules[rule_id] for rule_id in sorted(rules)},
        by_risk={r: risks.get(r, 0) for r in sorted(RiskLevel, reverse=True)},
        confidential_columns=len(confidential),
        unused_confidential_columns=sum(1 for c in confidential if not c.used),
        confidential_by_tier={t: tiers.get(t, 0) for t in sorted(Tier, reverse=True)},
        max_severity=result.max_severity,
    )
