"""What changed since the last complete run: new, resolved, persisting and unchecked findings.

Pure: :func:`compare` reads this run's :class:`~tableau_audit.findings.AuditResult` and what the
history knew after its last complete run (:class:`KnownFinding`, one per fingerprint), and
returns a frozen :class:`RunChanges`. The history (``history.py``) stores the outcome; the
reports show it, new findings first.

* **new**: gating now, and not open after the last complete run (never seen, or resolved since:
  ``reopened``, with the date it was first seen);
* **persisting**: gating now and open before;
* **resolved**: open before and gone now, from an item this run audited (or that is no longer
  on the site);
* **unchecked**: open before, on an item this run could not audit (its TA901 is in
  ``skipped``): neither resolved nor confirmed, carried over unchanged.

Findings accepted by a suppression or the baseline are still *present* (they are not resolved)
but take no part in the lists: they never gate.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping

from tableau_audit.findings import AuditResult, Finding, Location, Severity
from tableau_audit.records import frozen

__all__ = [
    "Change",
    "ChangedFinding",
    "KnownFinding",
    "RunChanges",
    "RunRef",
    "changed_finding",
    "compare",
    "new_at_or_above",
]

DIAGNOSTIC_SKIPPED = "TA901"
"""The finding that stands for an item that could not be audited."""


class Change(str, enum.Enum):
    """How a finding relates to the last complete run."""

    NEW = "new"
    PERSISTING = "persisting"
    RESOLVED = "resolved"
    UNCHECKED = "unchecked"


@frozen
class KnownFinding:
    """A finding identity as the history knows it after the last complete run."""

    fingerprint: str
    rule_id: str
    severity: Severity
    message: str
    artifact: str
    """Server URL (or path) of the item, as in :class:`~tableau_audit.findings.Location`."""
    object_path: tuple[str, ...] = ()
    first_seen: str
    """UTC timestamp (``2026-11-26T02:00:00Z``) of the first run that recorded it."""
    open: bool = True
    """Present in the last complete run; False once it was recorded as resolved."""


@frozen
class ChangedFinding:
    """One finding in the "what changed" lists. Names and messages only, never a value."""

    change: Change
    fingerprint: str
    rule_id: str
    severity: Severity
    message: str
    artifact: str
    object_path: tuple[str, ...] = ()
    first_seen: str
    """When it was first seen (for a brand-new finding: this run's start)."""
    reopened: bool = False
    """A new finding that had been resolved by an earlier run."""

    @property
    def location(self) -> Location:
        """Where it is, as a finding's :class:`~tableau_audit.findings.Location` (no XML line)."""
        return Location(artifact=self.artifact, object_path=self.object_path)

    @property
    def first_seen_date(self) -> str:
        """``YYYY-MM-DD`` part of :attr:`first_seen`."""
        return self.first_seen[:10]


@frozen
class RunRef:
    """The complete run a run is compared with."""

    id: int
    started: str


@frozen
class RunChanges:
    """New, resolved, persisting and unchecked findings since ``reference``.

    ``reference`` is None on the first run of a history: every finding is new.
    Each list is sorted worst first, then by rule, item and place.
    """

    reference: RunRef | None
    run_id: int | None = None
    """The history's id of this run."""
    new: tuple[ChangedFinding, ...] = ()
    resolved: tuple[ChangedFinding, ...] = ()
    persisting: tuple[ChangedFinding, ...] = ()
    unchecked: tuple[ChangedFinding, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        """``{"new", "resolved", "persisting", "unchecked"}`` → number of findings."""
        return {
            "new": len(self.new),
            "resolved": len(self.resolved),
            "persisting": len(self.persisting),
            "unchecked": len(self.unchecked),
        }

    def new_by_severity(self) -> dict[Severity, int]:
        """New findings per severity, every severity present, worst first."""
        return {s: sum(1 for f in self.new if f.severity == s) for s in sorted(Severity)[::-1]}


def compare(
    result: AuditResult,
    known: Mapping[str, KnownFinding],
    *,
    reference: RunRef | None,
    now: str,
    run_id: int | None = None,
) -> RunChanges:
    """Classify this run's findings against what the last complete run left open.

    ``now`` is this run's start (the first-seen time of brand-new findings).
    """
    gating = {f.fingerprint: f for f in result.findings}
    present = set(gating) | _accepted(result)
    skipped_sources = {s.source for s in result.skipped}
    new: list[ChangedFinding] = []
    persisting: list[ChangedFinding] = []
    for finding in gating.values():
        before = known.get(finding.fingerprint)
        if before is not None and before.open:
            persisting.append(changed_finding(Change.PERSISTING, finding, before.first_seen))
        elif before is not None:
            new.append(changed_finding(Change.NEW, finding, before.first_seen, reopened=True))
        else:
            new.append(changed_finding(Change.NEW, finding, now))
    resolved: list[ChangedFinding] = []
    unchecked: list[ChangedFinding] = []
    for before in known.values():
        if not before.open or before.fingerprint in present:
            continue
        if before.artifact in skipped_sources and before.rule_id != DIAGNOSTIC_SKIPPED:
            unchecked.append(_from_known(Change.UNCHECKED, before))
        else:
            resolved.append(_from_known(Change.RESOLVED, before))
    return RunChanges(
        reference=reference,
        run_id=run_id,
        new=_sorted(new),
        resolved=_sorted(resolved),
        persisting=_sorted(persisting),
        unchecked=_sorted(unchecked),
    )


def new_at_or_above(changes: RunChanges, threshold: Severity) -> tuple[ChangedFinding, ...]:
    """New findings at or above ``threshold`` (what ``--fail-on-new`` gates on)."""
    return tuple(f for f in changes.new if f.severity >= threshold)


def _accepted(result: AuditResult) -> set[str]:
    accepted = {entry.finding.fingerprint for entry in result.suppressed}
    return accepted | {finding.fingerprint for finding in result.baseline}


def changed_finding(
    change: Change, finding: Finding, first_seen: str, *, reopened: bool = False
) -> ChangedFinding:
    """``finding`` as the "what changed" lists show it (new, persisting, resolved, unchecked)."""
    return ChangedFinding(
        change=change,
        fingerprint=finding.fingerprint,
        rule_id=finding.rule_id,
        severity=finding.severity,
        message=finding.message,
        artifact=finding.location.artifact,
        object_path=finding.location.object_path,
        first_seen=first_seen,
        reopened=reopened,
    )


def _from_known(change: Change, known: KnownFinding) -> ChangedFinding:
    return ChangedFinding(
        change=change,
        fingerprint=known.fingerprint,
        rule_id=known.rule_id,
        severity=known.severity,
        message=known.message,
        artifact=known.artifact,
        object_path=known.object_path,
        first_seen=known.first_seen,
    )


def _sorted(findings: Iterable[ChangedFinding]) -> tuple[ChangedFinding, ...]:
    return tuple(
        sorted(
            findings,
            key=lambda f: (-int(f.severity), f.rule_id, f.artifact, f.object_path, f.fingerprint),
        )
    )
