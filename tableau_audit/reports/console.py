"""Console report: grouped by item and severity (worst first), colour only when asked.

Items with findings come first, worst first, each with its findings grouped by severity and a
compact table of its confidential columns. Items without findings take one line each, so a
run over hundreds of workbooks stays readable. Inputs that could not be audited are listed
with their reasons, and a summary closes the report.

Names in workbooks are attacker-controlled: they are rendered as plain text (never as rich
markup) and control or bidi characters are shown escaped so a name cannot rewrite the terminal.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tableau_audit import __version__
from tableau_audit.classify.types import Tier
from tableau_audit.findings import (
    AuditResult,
    ColumnReport,
    Exposure,
    Finding,
    ItemReport,
    Severity,
)
from tableau_audit.reports.changes_view import console_parts
from tableau_audit.reports.interface import Summary, confidential_columns, summarize

if TYPE_CHECKING:
    from tableau_audit.rules.base import Rule

SEVERITY_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}
TIER_STYLES = {Tier.HIGH: "bold red", Tier.MODERATE: "yellow", Tier.LOW: "cyan"}

# Same shape as rich's SIMPLE_HEAD but pure ASCII, for logs and files.
ASCII_SIMPLE_HEAD = box.Box("    \n    \n -- \n    \n    \n    \n    \n    \n", ascii=True)

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """Escape control and bidi-override characters so a name cannot rewrite the terminal."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class ConsoleReporter:
    """Human-readable report for a terminal (colour) or a log file (plain text)."""

    name = "console"

    def __init__(self, *, width: int = 100, max_per_rule: int = 10) -> None:
        self.width = width
        self.max_per_rule = max_per_rule
        """Per item, severity and rule, findings shown before the rest become a count."""

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The whole report; ANSI styles only when ``color`` is true (``fail_on`` is unused)."""
        return self._print(_report(result, color, self.max_per_rule), color)

    def render_rules(self, rules: Sequence[Rule], *, color: bool = False) -> str:
        """The rule catalogue as a table: id, name, default severity, summary."""
        table = _table(color, ("ID", "Name", "Severity", "Summary"))
        for rule in rules:
            name = f"{rule.name} (deprecated)" if rule.deprecated else rule.name
            table.add_row(rule.id, name, _severity(rule.severity), Text(rule.summary))
        return self._print(table, color)

    def _print(self, renderable: RenderableType, color: bool) -> str:
        buffer = io.StringIO()
        console = Console(
            file=buffer,
            width=self.width,
            color_system="standard" if color else None,
            force_terminal=color,
            no_color=not color,
            highlight=False,
            emoji=False,
            markup=False,
            _environ={},  # NOTE: output must not depend on COLUMNS, FORCE_COLOR, TERM, ...
        )
        console.print(renderable)
        text = buffer.getvalue()
        if color:
            return text
        # Plain text goes to files and CI logs: no padding spaces at line ends.
        return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _report(result: AuditResult, color: bool, limit: int) -> Group:
    summary = summarize(result)
    parts: list[RenderableType] = [_headline(summary)]
    if not result.complete:
        parts.append(Text("The run is incomplete: some inputs were not reached.", style="bold red"))
    if result.changes is not None:  # new since last run first (issue 6)
        parts.append(Text(""))
        parts.extend(console_parts(result, clean, SEVERITY_STYLES))
    with_findings = sorted(
        (item for item in result.items if item.findings),
        key=lambda item: (-max(int(f.severity) for f in item.findings), item.source, item.name),
    )
    for item in with_findings:
        parts.append(Text(""))
        parts.extend(_item_section(item, result, color, limit))
    clean_items = [item for item in result.items if not item.findings]
    if clean_items:
        parts.append(Text(""))
        parts.append(Text(f"No findings ({len(clean_items)})", style="bold green"))
        parts.append(Padding(_clean_items_grid(clean_items, result), (0, 0, 0, 2), expand=False))
    if result.skipped:
        parts.append(Text(""))
        parts.append(Text(f"Could not audit ({len(result.skipped)})", style="bold red"))
        for skip in result.skipped:
            source = Text(clean(skip.source), style="bold", overflow="fold")
            parts.append(Padding(source, (0, 0, 0, 2), expand=False))
            parts.append(Padding(Text(clean(skip.reason)), (0, 0, 0, 6), expand=False))
    parts.extend(_accepted_section(result, limit))
    parts.append(Text(""))
    parts.append(_summary_line(summary))
    return Group(*parts)


def _accepted_section(result: AuditResult, limit: int) -> Iterable[RenderableType]:
    """Baseline and suppressed findings (counted, never gating) and expired suppressions."""
    if not (result.baseline or result.suppressed or result.expired_suppressions):
        return
    yield Text("")
    yield Text("Accepted findings (not counted towards --fail-on)", style="bold")
    if result.baseline:
        yield Text(f"  baseline: {len(result.baseline)} finding(s) already in the baseline file")
    if result.suppressed:
        yield Text(f"  suppressed: {len(result.suppressed)} finding(s)")
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        for entry in result.suppressed[:limit]:
            where = " › ".join(
                [entry.finding.location.artifact, *entry.finding.location.object_path]
            )
            until = f" (until {entry.expires.isoformat()})" if entry.expires else ""
            grid.add_row(entry.finding.rule_id, Text(clean(f"{where}: {entry.reason}{until}")))
        if len(result.suppressed) > limit:
            more = f"... and {len(result.suppressed) - limit} more (the JSON report lists all)"
            grid.add_row("", Text(more, style="dim"))
        yield Padding(grid, (0, 0, 0, 4), expand=False)
    for expired in result.expired_suppressions:
        line = (
            f"  expired: suppress[{expired.index}] ({expired.selector}) ended on "
            f"{expired.expires.isoformat()}; {expired.findings} finding(s) it covered are "
            "reported again"
        )
        yield Text(clean(line), style="yellow")


def _headline(summary: Summary) -> Text:
    skipped = f", {summary.items_skipped} could not be audited" if summary.items_skipped else ""
    return Text.assemble(
        (f"tableau-audit {__version__}", "bold"),
        f": {summary.items_audited} item(s) audited{skipped}",
    )


def _item_section(
    item: ItemReport, result: AuditResult, color: bool, limit: int
) -> Iterable[RenderableType]:
    yield Text.assemble(("== ", "bold"), (clean(item.source), "bold"))
    yield Text.assemble(
        f"   {item.kind.value}{_name_unless_stem(item)}  risk ",
        (item.risk.level.label.upper(), _risk_style(item)),
        f" ({item.risk.score})",
    )
    if item.risk.reasons:
        yield Padding(_reasons_grid(item.risk.reasons), (0, 0, 0, 3), expand=False)
    if item.exposure is not None:
        yield Padding(Text(exposure_line(item.exposure)), (0, 0, 0, 3), expand=False)
    if item.extracts:
        yield Text(f"   {extracts_summary(item)}")
    for severity in sorted(Severity, reverse=True):
        group = [f for f in item.findings if f.severity == severity]
        if group:
            yield Text.assemble("   ", _severity(severity), f" ({len(group)})")
            yield Padding(_findings_grid(group, limit), (0, 0, 0, 5), expand=False)
    columns = confidential_columns(result, item.columns)
    if columns:
        yield Text(f"   Confidential columns ({len(columns)} of {len(item.columns)})")
        yield Padding(_columns_table(columns, color), (0, 0, 0, 5), expand=False)


def _reasons_grid(reasons: Sequence[str]) -> Table:
    """One reason per line, wrapped under its own text rather than under the label."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for index, reason in enumerate(reasons):
        grid.add_row("why:" if index == 0 else "", Text(clean(reason)))
    return grid


_ACTION_LABELS = {
    "view": "view",
    "download_summary_data": "summary data",
    "download_full_data": "full data",
    "download_workbook": "workbook download",
    "connect": "connect",
    "download_datasource": "download",
    "api_access": "API",
}


def exposure_line(exposure: Exposure, *, names: int = 3) -> str:
    """``exposure: view: All Users, Guest; full data: All Users; ...`` (who holds what)."""
    parts = []
    for key, audience in exposure.audiences.items():
        holders = list(  # the Guest user may also be named by a user rule: show it once
            dict.fromkeys(
                [
                    *(["All Users"] if audience.all_users else []),
                    *(["Guest"] if audience.guest else []),
                    *audience.groups,
                    *audience.users,
                ]
            )
        )
        if holders:
            shown = ", ".join(clean(h) for h in holders[:names])
            more = f" +{len(holders) - names}" if len(holders) > names else ""
            parts.append(f"{_ACTION_LABELS.get(key, key)}: {shown}{more}")
    governed = "" if exposure.governed_by == "item" else f" ({clean(exposure.governed_by)})"
    return f"exposure{governed}: " + ("; ".join(parts) or "owners and administrators only")


def _findings_grid(findings: Sequence[Finding], limit: int) -> Table:
    """Rule id and message side by side, so a long message wraps under itself.

    Past ``limit`` findings of one rule (41 packaged query caches, say) the rest become one
    "... and N more" line: the JSON report lists them all.
    """
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    shown: Counter[str] = Counter()
    for finding in findings:
        shown[finding.rule_id] += 1
        if shown[finding.rule_id] <= limit:
            grid.add_row(
                Text(finding.rule_id, style=SEVERITY_STYLES[finding.severity]),
                Text(clean(finding.message)),
            )
    for rule_id, count in shown.items():
        if count > limit:
            more = f"... and {count - limit} more {rule_id} finding(s) (the JSON report lists all)"
            grid.add_row(Text(rule_id, style="dim"), Text(more, style="dim"))
    return grid


def _columns_table(columns: Sequence[ColumnReport], color: bool) -> Table:
    table = _table(color, ("Data source", "Field", "Type", "Tier", "Used", "In extract", "Hidden"))
    for column in columns:
        found = column.classification
        assert found is not None  # confidential_columns() keeps classified columns only
        table.add_row(
            Text(clean(column.datasource)),
            Text(clean(column.field)),
            found.pii_type.value,
            Text(found.tier.label, style=TIER_STYLES[found.tier]),
            _yes_no(column.used, good=True),
            _in_extract(column),
            "hidden" if column.hidden else "",
        )
    return table


def _clean_items_grid(items: Sequence[ItemReport], result: AuditResult) -> Table:
    """One row per item without findings; a long path folds under itself."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for item in items:
        text = Text(f"{clean(item.source)} ({item.kind.value}){_name_unless_stem(item)}")
        columns = confidential_columns(result, item.columns)
        if columns:
            unused = sum(1 for c in columns if not c.used)
            used = f"{unused} unused" if unused else "all used"
            text.append(f": {len(columns)} confidential column(s), {used}")
        if item.extracts:
            text.append(f"; {extracts_summary(item)}")
        grid.add_row(Text("ok", style="green"), text)
    return grid


def extracts_summary(item: ItemReport) -> str:
    """One line on the item's extracts: rows, columns, confidential and undescribed columns."""
    extracts = item.extracts
    known_rows = [e.rows for e in extracts if e.rows is not None]
    label = "extract" if len(extracts) == 1 else f"{len(extracts)} extracts"
    rows = f"{sum(known_rows):,}" if known_rows else "unknown"
    columns = sum(e.columns for e in extracts)
    confidential = sum(e.confidential_columns for e in extracts)
    undescribed = sum(e.undescribed_columns for e in extracts)
    line = (
        f"{label}: {rows} rows, {columns} columns ({confidential} confidential, "
        f"{undescribed} not described in the XML)"
    )
    not_read = Counter(e.status for e in extracts if not e.readable)
    if not_read:
        line += "; not read: " + ", ".join(f"{n} {s}" for s, n in sorted(not_read.items()))
    return line


def _in_extract(column: ColumnReport) -> Text | str:
    """``yes``/``no``/``no extract``; a column only the .hyper knows is called out."""
    if column.in_extract is None:
        return "no extract"
    if column.extract_only:
        return Text("yes, not in the XML", style="red")
    return _yes_no(column.in_extract, good=False)


def _name_unless_stem(item: ItemReport) -> str:
    """`` 'Name'`` when the item's name says more than its file name, else nothing."""
    return "" if item.name == PurePath(item.source).stem else f" {clean(item.name)!r}"


def _summary_line(summary: Summary) -> Text:
    counts = ", ".join(f"{n} {s.label}" for s, n in summary.by_severity.items())
    text = Text.assemble(("Summary: ", "bold"), f"{summary.findings} finding(s) ({counts})")
    text.append(
        f"\n  items: {summary.items_audited} audited, {summary.items_skipped} could not be audited"
        f"\n  confidential columns: {summary.confidential_columns}, "
        f"{summary.unused_confidential_columns} unused"
    )
    if summary.by_rule:
        text.append(
            "\n  by rule: " + ", ".join(f"{rule} {n}" for rule, n in summary.by_rule.items())
        )
    return text


def _table(color: bool, headers: Sequence[str]) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD if color else ASCII_SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold" if color else "",
        safe_box=not color,
    )
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _severity(severity: Severity) -> Text:
    return Text(severity.label.upper(), style=SEVERITY_STYLES[severity])


def _risk_style(item: ItemReport) -> str:
    return SEVERITY_STYLES.get(Severity(int(item.risk.level)), "") if item.risk.level else "green"


def _yes_no(value: bool, *, good: bool) -> Text:
    """``yes``/``no``, styled red when the answer is the risky one."""
    risky = value != good
    return Text("yes" if value else "no", style="red" if risky else "")
