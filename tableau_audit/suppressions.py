"""Suppressions: configured, reasoned exceptions that take findings out of the gate. Pure.

A suppression (``[[suppress]]`` in the configuration, see :mod:`tableau_audit.config`) names
findings either by **fingerprint** (the exact finding, as in the JSON or SARIF report) or by
**rule + workbook** (a glob on the item's source, its file name or its name) with optional
**datasource** and **field** globs. Each carries a mandatory ``reason`` and an optional
``expires`` date: it suppresses up to and including that day, and from the next day on it
stops suppressing, the findings it covered are reported (and gate) again, and the run lists it
in ``expired_suppressions`` (JSON) and warns on stderr.

Suppressed findings leave ``ItemReport.findings`` (so they never count towards ``--fail-on``)
and are kept, with their reasons, in ``AuditResult.suppressed``. The risk level is assessed
before suppressions apply: a suppression changes what fails the build, not what the item
holds (to correct a misclassified column, use ``classification.allow-columns``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from pathlib import PurePath

from tableau_audit.findings import (
    ExpiredSuppression,
    Finding,
    ItemReport,
    Skipped,
    SuppressedFinding,
)
from tableau_audit.records import frozen

__all__ = ["Suppression", "SuppressionOutcome", "apply_suppressions", "describe_expired"]


@frozen
class Suppression:
    """One configured suppression. Either ``fingerprint``, or ``rule`` and ``workbook``."""

    index: int
    """Position in the configuration's ``[[suppress]]`` list (0-based)."""
    reason: str
    """Why the finding is accepted (mandatory, non-empty)."""
    fingerprint: str | None = None
    rule: str | None = None
    workbook: str | None = None
    """Glob on the item's source (path or URL), its file name, or its name."""
    datasource: str | None = None
    """Glob on the finding's data-source caption; a finding without one does not match."""
    field: str | None = None
    """Glob on the finding's field caption; a finding without one does not match."""
    expires: datetime.date | None = None
    """Last day the suppression applies; None for no expiry."""

    @property
    def selector(self) -> str:
        """What the suppression matches, for messages (names and globs, never values)."""
        if self.fingerprint is not None:
            return f"fingerprint {self.fingerprint}"
        parts = [self.rule or "", f"workbook={self.workbook!r}"]
        parts += [f"datasource={self.datasource!r}"] if self.datasource is not None else []
        parts += [f"field={self.field!r}"] if self.field is not None else []
        return " ".join(parts)

    def expired(self, today: datetime.date) -> bool:
        """True from the day after ``expires``."""
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding, *, source: str, name: str) -> bool:
        """True when the finding of the item ``source`` / ``name`` is one this suppression names."""
        if self.fingerprint is not None:
            return finding.fingerprint == self.fingerprint
        if finding.rule_id != self.rule or self.workbook is None:
            return False
        names = (source, PurePath(source).name, name)
        if not any(fnmatchcase(text, self.workbook) for text in names if text):
            return False
        location = finding.location
        return _glob(location.datasource, self.datasource) and _glob(location.field, self.field)


def _glob(text: str | None, pattern: str | None) -> bool:
    if pattern is None:
        return True
    return text is not None and fnmatchcase(text, pattern)


@frozen
class SuppressionOutcome:
    """Items and skipped inputs without their suppressed findings, and what was taken out."""

    items: tuple[ItemReport, ...]
    skipped: tuple[Skipped, ...]
    """Skipped inputs whose TA901 finding is suppressed are moved to ``suppressed``."""
    suppressed: tuple[SuppressedFinding, ...]
    expired: tuple[ExpiredSuppression, ...]


def apply_suppressions(
    items: Iterable[ItemReport],
    skipped: Iterable[Skipped],
    suppressions: Sequence[Suppression],
    *,
    today: datetime.date,
) -> SuppressionOutcome:
    """Take every finding an active suppression names out of the items and skipped inputs."""
    active = [s for s in suppressions if not s.expired(today)]
    expired = [s for s in suppressions if s.expired(today)]
    reactivated = dict.fromkeys((s.index for s in expired), 0)
    suppressed: list[SuppressedFinding] = []

    def accepted(finding: Finding, source: str, name: str) -> bool:
        for suppression in expired:
            if suppression.matches(finding, source=source, name=name):
                reactivated[suppression.index] += 1
        hit = next((s for s in active if s.matches(finding, source=source, name=name)), None)
        if hit is not None:
            suppressed.append(
                SuppressedFinding(finding=finding, reason=hit.reason, expires=hit.expires)
            )
        return hit is not None

    kept_items = tuple(
        dataclasses.replace(
            item,
            findings=tuple(f for f in item.findings if not accepted(f, item.source, item.name)),
        )
        for item in items
    )
    kept_skipped = tuple(
        skip
        for skip in skipped
        if not accepted(skip.finding, skip.source, PurePath(skip.source).name)
    )
    return SuppressionOutcome(
        items=kept_items,
        skipped=kept_skipped,
        suppressed=tuple(suppressed),
        expired=tuple(
            ExpiredSuppression(
                index=s.index,
                selector=s.selector,
                reason=s.reason,
                expires=s.expires,
                findings=reactivated[s.index],
            )
            for s in expired
            if s.expires is not None
        ),
    )


def describe_expired(expired: ExpiredSuppression) -> str:
    """One line for the log / stderr: which suppression expired and what it means now."""
    return (
        f"suppress[{expired.index}] ({expired.selector}) expired on "
        f"{expired.expires.isoformat()}: it no longer suppresses anything; "
        f"{expired.findings} finding(s) it covered are reported again"
    )
