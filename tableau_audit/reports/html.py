"""HTML report: one self-contained page for people (a security officer, a workbook owner).

The page is rendered by Jinja2 from ``templates/report.html.j2`` with autoescaping on and
``StrictUndefined``: workbook, data-source, sheet and column names are attacker-controlled text,
so every one of them is escaped, and a misspelt variable is an error rather than an empty cell.
The document loads nothing: CSS and JavaScript are inline, and a Content-Security-Policy meta tag
allows only those two blocks, by their SHA-256 hashes computed at render time, so even a name
that slipped past escaping could not run script. Output is deterministic (no clock, no host):
the same result renders to the same bytes.

This module prepares plain view values (order, counts, labels) so the template only lays them
out; the figures come from :func:`~tableau_audit.reports.interface.summarize` like every format.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from markupsafe import Markup

from tableau_audit import __version__
from tableau_audit.classify.types import ColumnClassification
from tableau_audit.findings import (
    Audience,
    AuditResult,
    ColumnReport,
    Finding,
    ItemReport,
    RiskLevel,
    Severity,
)
from tableau_audit.records import frozen
from tableau_audit.reports.changes_view import changes_view
from tableau_audit.reports.console import clean
from tableau_audit.reports.interface import Summary, is_confidential, summarize

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATE = "report.html.j2"

ACTION_LABELS: Mapping[str, str] = {
    "view": "View",
    "download_summary_data": "Download summary data",
    "download_full_data": "Download full data",
    "download_workbook": "Download workbook",
    "connect": "Connect",
    "download_datasource": "Download data source",
    "api_access": "VizQL Data API",
}
"""Exposure action key (issue 4) → heading; unknown keys fall back to their words."""

USED_BY_SHOWN = 3
"""Reasons a column is used, shown before the rest become "+N more"."""


@frozen
class RuleView:
    """A rule that produced findings in this run, for the filter and the rule legend."""

    id: str
    name: str
    summary: str
    count: int


@frozen
class Segment:
    """One slice of the risk distribution bar (SVG units: percent of the width)."""

    level: str
    count: int
    x: float
    width: float


@frozen
class ItemView:
    """One audited item as the page lays it out."""

    item: ItemReport
    anchor: str
    """Element id of the item's card (``item-1``, ...): never derived from a name."""
    findings: tuple[Finding, ...]
    """Worst first, then in the engine's order."""
    severity_counts: tuple[tuple[Severity, int], ...]
    """Non-zero counts, worst first."""
    confidential: tuple[ColumnReport, ...]
    """Confidential columns, highest tier first."""
    other_columns: tuple[ColumnReport, ...]
    unused_confidential: int


class HtmlReporter:
    """Renders an :class:`AuditResult` as one self-contained HTML document."""

    name = "html"

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The whole report as HTML; ``fail_on`` is named in the summary, ``color`` ignored."""
        template = _environment().get_template(TEMPLATE)
        summary = summarize(result)
        return template.render(
            version=__version__,
            result=result,
            summary=summary,
            fail_on=fail_on,
            gating=sum(1 for f in result.findings if f.severity >= fail_on),
            items=[item_view(result, item, index) for index, item in enumerate(_ordered(result))],
            rules=rule_views(summary),
            risk_bar=risk_bar(summary),
            severities=tuple(sorted(Severity, reverse=True)),
            levels=tuple(sorted(RiskLevel, reverse=True)),
            changes=changes_view(result),  # "New since last run" (issue 6); None without history
        )


def _environment() -> Environment:
    """A fresh environment per render: no module-level state (jinja2 is imported lazily)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("tableau_audit.reports", "templates"),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_shown,
    )
    env.filters.update(
        csp_hash=csp_hash,
        action_label=action_label,
        audience_parts=audience_parts,
        evidence=evidence,
        percent=percent,
        thousands=thousands,
        used_by=used_by,
    )
    return env


def _shown(value: object) -> object:
    """Every ``{{ … }}`` value: control and bidi-override characters shown escaped.

    A name holding U+202E could otherwise reorder the text around it on screen ("Trojan
    Source"). Markup (the template's own CSS/JS and macro output) passes through untouched.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean(value)
    return value


def csp_hash(text: object) -> Markup:
    """CSP source expression (``'sha256-…'``) for an inline ``<style>`` or ``<script>`` body.

    Marked safe: it is base64 between fixed quotes, and escaping the quotes would only make
    the attribute harder to read.
    """
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    encoded = base64.b64encode(digest).decode("ascii")
    return Markup(f"'sha256-{encoded}'")  # noqa: S704 (base64 and fixed quotes, no input text)


def _ordered(result: AuditResult) -> list[ItemReport]:
    """Riskiest first, so the page opens on what needs attention."""
    return sorted(result.items, key=lambda i: (-int(i.risk.level), -i.risk.score, i.source, i.name))


def item_view(result: AuditResult, item: ItemReport, index: int) -> ItemView:
    """Order and count one item's findings and columns."""
    findings = sorted(item.findings, key=lambda f: -int(f.severity))
    counts = Counter(f.severity for f in findings)
    confidential = sorted(
        (c for c in item.columns if is_confidential(c, result)),
        key=lambda c: -int(c.classification.tier) if c.classification else 0,
    )
    return ItemView(
        item=item,
        anchor=f"item-{index + 1}",
        findings=tuple(findings),
        severity_counts=tuple((s, counts[s]) for s in sorted(counts, reverse=True)),
        confidential=tuple(confidential),
        other_columns=tuple(c for c in item.columns if not is_confidential(c, result)),
        unused_confidential=sum(1 for c in confidential if not c.used),
    )


def rule_views(summary: Summary) -> list[RuleView]:
    """Rules with findings, named from the rule catalogue (metadata is written once, there)."""
    from tableau_audit.rules import RULES_BY_ID  # NOTE: lazy, the rules import the whole engine

    views = []
    for rule_id, count in summary.by_rule.items():
        rule = RULES_BY_ID.get(rule_id)
        views.append(
            RuleView(
                id=rule_id,
                name=rule.name if rule else "",
                summary=rule.summary if rule else "",
                count=count,
            )
        )
    return views


def risk_bar(summary: Summary) -> list[Segment]:
    """Slices of a 100-unit bar, one per risk level with items, worst first."""
    total = sum(summary.by_risk.values())
    segments: list[Segment] = []
    x = 0.0
    for level, count in summary.by_risk.items():
        if count and total:
            width = round(100.0 * count / total, 3)
            segments.append(Segment(level=level.label, count=count, x=round(x, 3), width=width))
            x += width
    return segments


def action_label(key: str) -> str:
    """Heading of an exposure action."""
    return ACTION_LABELS.get(key, key.replace("_", " ").capitalize())


def audience_parts(audience: Audience) -> list[tuple[str, str]]:
    """(css class, text) chips saying who holds a capability, broadest first."""
    parts: list[tuple[str, str]] = []
    if audience.guest:
        parts.append(("chip danger", "Guest (no sign-in)"))
    if audience.all_users:
        parts.append(("chip warn", "All users"))
    parts.extend(("chip", f"group {name}") for name in audience.groups)
    parts.extend(("chip", f"user {name}") for name in audience.users)
    return parts


def evidence(found: ColumnClassification) -> str:
    """How the verdict was reached: the name, and how many sampled values matched."""
    if found.name_only or not found.sample_size:
        return "name only"
    values = f"{found.match_count:,} of {found.sample_size:,} sampled values matched"
    return f"name · {values}" if "name" in found.signals else values


def percent(value: float) -> str:
    """``0.9`` → ``90%``."""
    return f"{round(value * 100)}%"


def thousands(value: int) -> str:
    """``12345`` → ``12,345``."""
    return f"{value:,}"


def used_by(reasons: Sequence[str]) -> str:
    """The first few reasons a column is used, and how many more."""
    shown = ", ".join(reasons[:USED_BY_SHOWN])
    more = len(reasons) - USED_BY_SHOWN
    return f"{shown} +{more} more" if more > 0 else shown
