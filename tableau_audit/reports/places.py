"""Helpers shared by the machine formats: where a finding is, and which item it belongs to.

A finding's ``object_path`` is a tuple of ``kind:name`` parts (``datasource:Permits``,
``column:SSN``); the formats show it as ``Permits › SSN`` or split it into logical locations.
"""

from __future__ import annotations

from collections.abc import Iterator

from tableau_audit.findings import AuditResult, Finding, ItemReport, Severity
from tableau_audit.records import frozen

SEPARATOR = " › "
"""Between the parts of a logical path in every text format."""


@frozen
class PathPart:
    """One step of a finding's logical path."""

    kind: str
    """``datasource``, ``column``, ``connection``, ... (``object`` when the part has no kind)."""
    name: str


def path_parts(object_path: tuple[str, ...]) -> tuple[PathPart, ...]:
    """Split ``("datasource:Permits", "column:SSN")`` into kinds and names."""
    parts = []
    for part in object_path:
        kind, sep, name = part.partition(":")
        parts.append(PathPart(kind=kind, name=name) if sep else PathPart(kind="object", name=part))
    return tuple(parts)


def where(finding: Finding) -> str:
    """The logical path as text, ``Permits › SSN``; empty for a finding about the whole item."""
    return place_text(finding.location.object_path)


def place_text(object_path: tuple[str, ...]) -> str:
    """``("datasource:Permits", "column:SSN")`` as ``Permits › SSN``."""
    return SEPARATOR.join(part.name for part in path_parts(object_path))


OPEN = "open"
SUPPRESSED = "suppressed"
BASELINE = "baseline"


@frozen
class Placed:
    """A finding with the item it belongs to (None for the TA901 finding of a skipped input)."""

    finding: Finding
    item: ItemReport | None
    source: str
    """The item's source, or the skipped input's path."""
    status: str = OPEN
    """``open`` (gating), ``suppressed`` (accepted by configuration) or ``baseline``; with a run
    history also ``resolved`` or ``unchecked`` (see ``changes_view.gone_placed``)."""
    reason: str = ""
    """The suppression's reason, for suppressed findings."""


def placed_findings(result: AuditResult, *, accepted: bool = False) -> Iterator[Placed]:
    """Every finding in report order: items in the engine's order, then skipped inputs.

    With ``accepted``, the findings that do not gate follow: suppressed ones, then those
    already in the baseline.
    """
    for item in result.items:
        for finding in item.findings:
            yield Placed(finding=finding, item=item, source=item.source)
    for skip in result.skipped:
        yield Placed(finding=skip.finding, item=None, source=skip.source)
    if not accepted:
        return
    items = {item.source: item for item in result.items}
    for entry in result.suppressed:
        source = entry.finding.location.artifact
        yield Placed(
            finding=entry.finding,
            item=items.get(source),
            source=source,
            status=SUPPRESSED,
            reason=entry.reason,
        )
    for finding in result.baseline:
        source = finding.location.artifact
        yield Placed(finding=finding, item=items.get(source), source=source, status=BASELINE)


def worst_first(items: tuple[ItemReport, ...]) -> list[ItemReport]:
    """Items with findings, worst finding first, then by source and name (as the console)."""
    return sorted(
        (item for item in items if item.findings),
        key=lambda item: (-max(int(f.severity) for f in item.findings), item.source, item.name),
    )


def at_or_above(findings: tuple[Finding, ...], threshold: Severity) -> tuple[Finding, ...]:
    """The findings whose severity is at or above ``threshold``."""
    return tuple(f for f in findings if f.severity >= threshold)
