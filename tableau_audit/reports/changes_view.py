""" "New since last run": what every report format shows of :attr:`AuditResult.changes`.

Only runs with ``--history`` carry changes; without them every function here returns nothing,
so the reports of ``scan`` and of a plain ``server`` run are unchanged. The first run of a
history has nothing to compare with: the formats then say so in one line instead of listing
every finding twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from tableau_audit.changes import ChangedFinding, RunChanges
from tableau_audit.findings import AuditResult, Finding, Severity
from tableau_audit.records import frozen
from tableau_audit.reports.places import Placed, place_text, placed_findings

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table

    from tableau_audit.reports.json import JsonValue

__all__ = [
    "ChangeRow",
    "ChangesView",
    "change_counts",
    "changes_to_dict",
    "changes_view",
    "console_parts",
    "gone_placed",
    "headline",
    "markdown_blocks",
    "placed_with_changes",
    "present_changes",
    "rows",
]

SHOWN = 20
"""Findings listed per category in the console and Markdown before the rest become a count."""


@frozen
class ChangeRow:
    """One changed finding as the text formats lay it out."""

    finding: ChangedFinding
    item: str
    """The item's name (its URL when it is no longer audited)."""
    where: str
    """``Permits › SSN``; empty for the whole item."""


def rows(result: AuditResult, findings: Sequence[ChangedFinding]) -> list[ChangeRow]:
    """Findings with their item names and places, in the given (worst-first) order."""
    names = {item.source: item.name for item in result.items}
    return [
        ChangeRow(
            finding=f,
            item=names.get(f.artifact, f.artifact),
            where=place_text(f.object_path),
        )
        for f in findings
    ]


@frozen
class ChangesView:
    """What the HTML page shows: the headline, then new and resolved findings (all of them)."""

    headline: str
    new_count: int
    tables: tuple[tuple[str, tuple[ChangeRow, ...]], ...]
    """(title, rows) per non-empty list; empty on the first run (nothing to compare with)."""


def changes_view(result: AuditResult) -> ChangesView | None:
    """The HTML view of the changes; None without a history."""
    changes = result.changes
    if changes is None:
        return None
    tables: list[tuple[str, tuple[ChangeRow, ...]]] = []
    if changes.reference is not None:
        for title, found in (("New findings", changes.new), ("Resolved", changes.resolved)):
            if found:
                tables.append((title, tuple(rows(result, found))))
    return ChangesView(headline=headline(changes), new_count=len(changes.new), tables=tuple(tables))


def headline(changes: RunChanges) -> str:
    """``Since run 11 (2026-11-25): 2 new, 1 resolved, 40 persisting.`` (or first-run text)."""
    counts = changes.counts
    if changes.reference is None:
        return (
            f"First run recorded in this history: nothing to compare with, so all "
            f"{counts['new']} finding(s) count as new."
        )
    text = (
        f"Since run {changes.reference.id} ({changes.reference.started[:10]}): "
        f"{counts['new']} new, {counts['resolved']} resolved, {counts['persisting']} persisting"
    )
    if counts["unchecked"]:
        text += f", {counts['unchecked']} not re-checked (their items could not be audited)"
    return text + "."


def present_changes(result: AuditResult) -> dict[str, ChangedFinding]:
    """This run's new and persisting findings by fingerprint; empty without a history."""
    changes = result.changes
    if changes is None:
        return {}
    return {f.fingerprint: f for f in (*changes.new, *changes.persisting)}


def placed_with_changes(result: AuditResult) -> list[tuple[Placed, ChangedFinding | None]]:
    """The rows of the machine formats (SARIF, CSV): every finding of this run in report order
    (accepted ones included) with its change since the last run, then the gone ones."""
    changed = present_changes(result)
    rows: list[tuple[Placed, ChangedFinding | None]] = [
        (placed, changed.get(placed.finding.fingerprint))
        for placed in placed_findings(result, accepted=True)
    ]
    return [*rows, *gone_placed(result)]


def gone_placed(result: AuditResult) -> list[tuple[Placed, ChangedFinding]]:
    """Resolved, then unchecked findings as rows of the machine formats (SARIF, CSV).

    The finding is rebuilt from what the history stored (no XML line, no evidence); its
    ``status`` is ``resolved`` or ``unchecked``, and its item is set when this run audited it.
    """
    changes = result.changes
    if changes is None:
        return []
    items = {item.source: item for item in result.items}
    gone: list[tuple[Placed, ChangedFinding]] = []
    for changed in (*changes.resolved, *changes.unchecked):
        finding = Finding(
            rule_id=changed.rule_id,
            severity=changed.severity,
            message=changed.message,
            location=changed.location,
            fingerprint=changed.fingerprint,
        )
        placed = Placed(
            finding=finding,
            item=items.get(changed.artifact),
            source=changed.artifact,
            status=changed.change.value,
        )
        gone.append((placed, changed))
    return gone


def change_counts(result: AuditResult) -> dict[str, JsonValue]:
    """``{"changes": {new, resolved, persisting, unchecked, reference_run}}`` for the summary."""
    changes = result.changes
    if changes is None:
        return {}
    reference = changes.reference.id if changes.reference else None
    return {"changes": {**changes.counts, "reference_run": reference, "run": changes.run_id}}


def changes_to_dict(result: AuditResult) -> dict[str, JsonValue]:
    """The JSON ``changes`` block: each list worst first, with first-seen times."""
    changes = result.changes
    if changes is None:
        return {}
    reference = changes.reference
    return {
        "changes": {
            "run": changes.run_id,
            "reference_run": (
                {"id": reference.id, "started": reference.started} if reference else None
            ),
            "new": [_finding(f) for f in changes.new],
            "resolved": [_finding(f) for f in changes.resolved],
            "persisting": [_finding(f) for f in changes.persisting],
            "unchecked": [_finding(f) for f in changes.unchecked],
        }
    }


def _finding(finding: ChangedFinding) -> dict[str, JsonValue]:
    location = finding.location
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "message": finding.message,
        "artifact": finding.artifact,
        "datasource": location.datasource,
        "field": location.field,
        "object_path": list(finding.object_path),
        "fingerprint": finding.fingerprint,
        "first_seen": finding.first_seen,
        "reopened": finding.reopened,
    }


def markdown_blocks(result: AuditResult, escape: Callable[[str], str]) -> Iterator[str]:
    """``### New since last run`` with a table, then resolved ones folded."""
    changes = result.changes
    if changes is None:
        return
    yield f"### New since last run ({len(changes.new)})"
    yield escape(headline(changes))
    if changes.reference is None:
        return
    if changes.new:
        yield _markdown_table(rows(result, changes.new), escape)
    if changes.resolved:
        table = _markdown_table(rows(result, changes.resolved), escape)
        yield (
            f"<details><summary>Resolved since last run ({len(changes.resolved)})</summary>"
            f"\n\n{table}\n\n</details>"
        )


def _markdown_table(found: Sequence[ChangeRow], escape: Callable[[str], str]) -> str:
    lines = ["| Severity | Rule | Item | Where | First seen |", "|:--|:--|:--|:--|:--|"]
    for row in found[:SHOWN]:
        f = row.finding
        again = " (again)" if f.reopened else ""
        lines.append(
            f"| {f.severity.label} | {escape(f.rule_id)} | {escape(row.item)} "
            f"| {escape(row.where)} | {f.first_seen_date}{again} |"
        )
    if len(found) > SHOWN:
        lines.append(f"| | | … and {len(found) - SHOWN} more (the JSON report lists all) | | |")
    return "\n".join(lines)


def console_parts(
    result: AuditResult,
    clean: Callable[[str], str],
    styles: Mapping[Severity, str],
) -> list[RenderableType]:
    """The console section: new findings (worst first), then resolved ones, one line each."""
    # NOTE: rich is imported here, not at the top: JSON imports this module, and a JSON run
    # should not pay for loading rich (issue 2's cold-start benchmark).
    from rich.padding import Padding
    from rich.text import Text

    changes = result.changes
    if changes is None:
        return []
    style = "bold red" if changes.new and changes.reference is not None else "bold"
    parts: list[RenderableType] = [
        Text(f"New since last run ({len(changes.new)})", style=style),
        Padding(Text(clean(headline(changes))), (0, 0, 0, 2), expand=False),
    ]
    if changes.reference is None:
        return parts
    for title, found in (("new", changes.new), ("resolved", changes.resolved)):
        if found:
            if title == "resolved":
                parts.append(Text(f"Resolved since last run ({len(found)})", style="bold green"))
            parts.append(Padding(_grid(rows(result, found), clean, styles), (0, 0, 0, 2),
                                 expand=False))  # fmt: skip
    return parts


def _grid(
    found: Sequence[ChangeRow], clean: Callable[[str], str], styles: Mapping[Severity, str]
) -> Table:
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_column(no_wrap=True)
    for row in found[:SHOWN]:
        f = row.finding
        place = f"{row.item} › {row.where}" if row.where else row.item
        again = " (again)" if f.reopened else ""
        grid.add_row(
            Text(f.severity.label.upper(), style=styles.get(f.severity, "")),
            f.rule_id,
            Text(clean(place)),
            f"first seen {f.first_seen_date}{again}",
        )
    if len(found) > SHOWN:
        more = f"... and {len(found) - SHOWN} more (the JSON report lists all)"
        grid.add_row("", "", Text(more, style="dim"), "")
    return grid
