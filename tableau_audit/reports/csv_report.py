"""CSV report: one row per finding, for spreadsheets and ticket imports.

The TA901 finding of each skipped input is a row too (its item columns are empty), and so are
the findings that do not gate, after the others: ``status`` says ``open``, ``suppressed`` (with
the suppression's reason) or ``baseline``.

With a run history (``--history``), ``change`` says ``new`` or ``persisting`` for each gating
finding and ``first_seen`` when the history first recorded it; findings resolved since the last
complete run follow as rows with ``status`` and ``change`` ``resolved``, then those of items this
run could not audit (``unchecked``). Without a history both columns are empty.

Cells that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return, or their full-width forms) get a leading ``'``: workbook and column names
are attacker-controlled, and ``=HYPERLINK(...)`` in a column name must stay text (OWASP "CSV
injection"). The module is ``csv_report`` so that it does not shadow the standard ``csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from tableau_audit.changes import ChangedFinding
from tableau_audit.findings import AuditResult, Severity
from tableau_audit.reports.changes_view import placed_with_changes
from tableau_audit.reports.console import clean
from tableau_audit.reports.places import SEPARATOR, Placed

COLUMNS: tuple[str, ...] = (
    "rule_id",
    "severity",
    "source",
    "kind",
    "name",
    "project",
    "datasource",
    "field",
    "object_path",
    "line",
    "message",
    "fingerprint",
    "risk_level",
    "status",
    "suppression_reason",
    "change",
    "first_seen",
)
"""Header row; columns may be added at the end, never removed or reordered."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(cell: str) -> str:
    """Prefix ``'`` to a cell that a spreadsheet would evaluate as a formula; escape controls.

    Control and bidi characters are written as ``\\x1b``-style escapes (as on the console), so
    a name cannot rewrite the terminal of whoever ``cat``s the file.
    """
    prefix = "'" if cell.startswith(_FORMULA_STARTS) else ""
    return prefix + clean(cell)


class CsvReporter:
    """Renders every finding of an :class:`AuditResult` as a CSV row."""

    name = "csv"

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """Header plus one row per finding (``color`` and ``fail_on`` are ignored)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(COLUMNS)
        for placed, change in placed_with_changes(result):
            writer.writerow([neutralise(cell) for cell in _row(placed, change)])
        return buffer.getvalue()


def _row(placed: Placed, changed: ChangedFinding | None) -> Sequence[str]:
    finding, item = placed.finding, placed.item
    location = finding.location
    return (
        finding.rule_id,
        finding.severity.label,
        placed.source,
        item.kind.value if item is not None else "",
        item.name if item is not None else "",
        (item.project or "") if item is not None else "",
        location.datasource or "",
        location.field or "",
        SEPARATOR.join(location.object_path),
        str(location.line) if location.line is not None else "",
        finding.message,
        finding.fingerprint,
        item.risk.level.label if item is not None else "",
        placed.status,
        placed.reason,
        changed.change.value if changed is not None else "",
        changed.first_seen if changed is not None else "",
    )
