"""Markdown report for pull-request and merge-request comments (GitHub-flavoured).

Summary tables first (items by risk level, findings by severity), then one compact section per
item with findings, worst first: its risk level and the reasons, and a findings table. Long
tables and lists are folded into ``<details>`` so a comment on a large run stays short.

Workbook, data-source and column names, file names and messages are attacker-controlled text.
:func:`escape` makes them inert: markdown and table syntax is backslash-escaped, ``<``, ``>``
and ``&`` become entities, ``@`` mentions, ``:// ``/``www.`` autolinks are broken with a
zero-width space, and control or bidi characters are shown escaped (``\\x1b``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from tableau_audit import __version__
from tableau_audit.findings import AuditResult, Finding, ItemReport, Severity
from tableau_audit.reports.changes_view import markdown_blocks
from tableau_audit.reports.console import clean
from tableau_audit.reports.interface import Summary, summarize
from tableau_audit.reports.places import OPEN, placed_findings, where, worst_first

if TYPE_CHECKING:
    from tableau_audit.rules.base import Rule

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#$])")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")
_ZWSP = "&#8203;"


def escape(text: str) -> str:
    """Make attacker-controlled text inert in markdown, tables and HTML."""
    text = _LINE_BREAKS.sub(" ", text)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # NOTE: a workbook named "@org/security" must not ping a team from a PR comment, and a name
    # holding a URL must not become a link.
    text = text.replace("@", "@" + _ZWSP).replace("://", ":" + _ZWSP + "//")
    text = re.sub("(?i)www\\.", lambda m: m.group()[:3] + _ZWSP + ".", text)
    return clean(text)


class MarkdownReporter:
    """Renders an :class:`AuditResult` as a GitHub-flavoured markdown comment."""

    name = "markdown"

    def __init__(self, *, fold_after: int = 10, rules: Sequence[Rule] | None = None) -> None:
        self.fold_after = fold_after
        """Tables and lists longer than this are folded into ``<details>``."""
        self._rules = tuple(rules) if rules is not None else None

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The comment; ``fail_on`` is named in the summary, ``color`` is ignored."""
        help_uris = {rule.id: rule.help_uri for rule in self._catalogue()}
        blocks = list(_summary(result, summarize(result), fail_on))
        blocks.extend(markdown_blocks(result, escape))  # new since last run first (issue 6)
        for item in worst_first(result.items):
            blocks.extend(self._item(item, help_uris))
        blocks.extend(self._clean_items(result))
        blocks.extend(self._skipped(result))
        blocks.extend(self._accepted(result))
        blocks.append(f"<sub>tableau-audit {__version__}</sub>")
        return "\n\n".join(blocks) + "\n"

    def _catalogue(self) -> Sequence[Rule]:
        if self._rules is None:
            from tableau_audit.rules import ALL_RULES

            return ALL_RULES
        return self._rules

    def _item(self, item: ItemReport, help_uris: Mapping[str, str]) -> Iterator[str]:
        level = item.risk.level.label
        yield f"### {escape(item.source)}: risk {level} ({item.risk.score})"
        facts = [item.kind.value]
        if item.name != PurePath(item.source).stem:
            facts.append(f"name {escape(item.name)}")
        if item.project:
            facts.append(f"project {escape(item.project)}")
        yield " · ".join(facts)
        if item.risk.reasons:
            yield "Why: " + "; ".join(escape(reason) for reason in item.risk.reasons)
        table = _findings_table(item.findings, help_uris)
        yield self._fold(table, len(item.findings), "findings")

    def _clean_items(self, result: AuditResult) -> Iterator[str]:
        items = [item for item in result.items if not item.findings]
        if items:
            yield f"### No findings ({len(items)})"
            lines = [f"- {escape(item.source)} ({item.kind.value}){_risk(item)}" for item in items]
            yield self._fold("\n".join(lines), len(lines), "items")

    def _skipped(self, result: AuditResult) -> Iterator[str]:
        if result.skipped:
            yield f"### Could not audit ({len(result.skipped)})"
            lines = [f"- {escape(s.source)}: {escape(s.reason)}" for s in result.skipped]
            yield self._fold("\n".join(lines), len(lines), "inputs")

    def _accepted(self, result: AuditResult) -> Iterator[str]:
        """Suppressed and baseline findings: listed with their reasons, never counted above."""
        accepted = [p for p in placed_findings(result, accepted=True) if p.status != OPEN]
        if not accepted:
            return
        yield f"### Accepted findings ({len(accepted)})"
        rows = ["| Status | Rule | Item | Where | Reason |", "|:--|:--|:--|:--|:--|"]
        rows += [
            f"| {p.status} | {escape(p.finding.rule_id)} | {escape(p.source)} "
            f"| {escape(where(p.finding))} | {escape(p.reason)} |"
            for p in accepted
        ]
        yield self._fold("\n".join(rows), len(accepted), "accepted findings")

    def _fold(self, block: str, count: int, noun: str) -> str:
        if count <= self.fold_after:
            return block
        # NOTE: the blank lines let GitHub render the markdown inside the HTML block.
        return f"<details><summary>{count} {noun}</summary>\n\n{block}\n\n</details>"


def _summary(result: AuditResult, summary: Summary, fail_on: Severity) -> Iterator[str]:
    yield "## tableau-audit report"
    skipped = f", {summary.items_skipped} could not be audited" if summary.items_skipped else ""
    worst = summary.max_severity.label if summary.max_severity is not None else "none"
    at_threshold = sum(1 for f in result.findings if f.severity >= fail_on)
    yield (
        f"**{summary.items_audited}** item(s) audited{skipped}. "
        f"**{summary.findings}** finding(s), worst **{worst}**; "
        f"{at_threshold} at or above `--fail-on {fail_on.label}`."
    )
    if not result.complete:
        yield "> **Warning:** the run is incomplete: some inputs were not reached."
    if result.suppressed or result.baseline:
        yield (
            f"Not counted: {len(result.suppressed)} suppressed finding(s), "
            f"{len(result.baseline)} already in the baseline (listed at the end)."
        )
    for expired in result.expired_suppressions:
        yield (
            f"> **Expired suppression** #{expired.index} ({escape(expired.selector)}) "
            f"expired on {expired.expires.isoformat()}: {escape(expired.reason)}. "
            f"{expired.findings} finding(s) count again."
        )
    risks = [f"| {level.label} | {count} |" for level, count in summary.by_risk.items()]
    yield "\n".join(["| Risk level | Items |", "|:--|--:|", *risks])
    severities = [f"| {sev.label} | {count} |" for sev, count in summary.by_severity.items()]
    yield "\n".join(["| Severity | Findings |", "|:--|--:|", *severities])
    if summary.confidential_columns:
        yield (
            f"Confidential columns: **{summary.confidential_columns}**, "
            f"{summary.unused_confidential_columns} of them unused."
        )


def _risk(item: ItemReport) -> str:
    """``, risk low: reasons`` for an item without findings, unless its risk is none."""
    if not item.risk.level:
        return ""
    why = "; ".join(escape(reason) for reason in item.risk.reasons)
    return f", risk {item.risk.level.label}" + (f": {why}" if why else "")


def _findings_table(findings: Sequence[Finding], help_uris: Mapping[str, str]) -> str:
    rows = ["| Severity | Rule | Where | Message |", "|:--|:--|:--|:--|"]
    for finding in sorted(findings, key=lambda f: -int(f.severity)):  # stable: engine order
        uri = help_uris.get(finding.rule_id)
        rule = f"[{finding.rule_id}]({uri})" if uri else finding.rule_id
        rows.append(
            f"| {finding.severity.label} | {rule} | {escape(where(finding))} "
            f"| {escape(finding.message)} |"
        )
    return "\n".join(rows)
