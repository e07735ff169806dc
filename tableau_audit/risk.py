"""Risk of one audited item: sensitivity × exposure (pii-detection.md §5; docs/risk.md).

The model is a pure function of the item's report (:class:`~tableau_audit.findings.ItemReport`:
its columns, findings and, for published items, its ``exposure``) and of the policy's
confidential tier. Every confidential thing the item holds (a column, a stored secret, a column
of a published data source it hands out) is one *exposed entry* with

* a **sensitivity**: the column's tier, one tier lower when its values are not reachable
  (a local file that only *names* the column: live connection or unpackaged extract); stored
  credentials count as high tier, API keys and tokens as moderate;
* a **reach**: who can take it. A local file has an unknown audience (``LIMITED``: whoever
  receives the file). A published item's reach comes from its effective permissions: a
  download channel that carries the entry open to All Users or Guest is
  ``EVERYONE_DOWNLOADS``; a used column that everyone can see in the views is
  ``EVERYONE_VIEWS``; grants to specific groups or users only are ``LIMITED``; nobody but the
  owner and administrators is ``NOBODY``.

The item's level is the worst ``MATRIX[sensitivity][reach]`` over its entries, and its score
lies in that level's band, higher with more and more sensitive entries (unused and hidden
columns weigh 1.5 times: nobody needs them). Reasons are sentences with counts, tiers and
audiences: never a value.
"""

from __future__ import annotations

import dataclasses
import enum
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from tableau_audit.classify.types import Tier
from tableau_audit.findings import (
    Audience,
    ColumnReport,
    Exposure,
    Finding,
    ItemReport,
    Risk,
    RiskLevel,
)
from tableau_audit.model import ArtifactKind

__all__ = ["BANDS", "MATRIX", "UNASSESSED", "Reach", "assess_risk", "with_risk"]

UNASSESSED = Risk(level=RiskLevel.NONE, score=0, reasons=("risk not assessed yet",))
"""Placeholder while an :class:`ItemReport` is being built (see :func:`with_risk`)."""


class Reach(enum.IntEnum):
    """Who can take an exposed entry, from the narrowest to the widest audience."""

    NOBODY = 0
    """Only the owner and administrators (a published item nobody else was granted)."""
    LIMITED = 1
    """Specific groups or users; or a local file, whose audience is not known."""
    EVERYONE_VIEWS = 2
    """All Users or Guest see it in the views (a used column), but cannot download it."""
    EVERYONE_DOWNLOADS = 3
    """All Users or Guest can download it (full data, summary data, the file, the API)."""


_L, _M, _H, _C = RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.CRITICAL
MATRIX: Mapping[Tier, tuple[RiskLevel, RiskLevel, RiskLevel, RiskLevel]] = {
    Tier.LOW: (_L, _L, _L, _M),
    Tier.MODERATE: (_L, _M, _H, _H),
    Tier.HIGH: (_M, _H, _H, _C),
}
"""Risk level per sensitivity (row) and :class:`Reach` (column, NOBODY → EVERYONE_DOWNLOADS)."""

BANDS: Mapping[RiskLevel, tuple[int, int]] = {
    RiskLevel.NONE: (0, 0),
    RiskLevel.LOW: (1, 24),
    RiskLevel.MEDIUM: (25, 49),
    RiskLevel.HIGH: (50, 74),
    RiskLevel.CRITICAL: (75, 100),
}
"""Score range of each level; the score climbs within it as points add up."""

POINTS: Mapping[Tier, float] = {Tier.HIGH: 8.0, Tier.MODERATE: 3.0, Tier.LOW: 1.0}
AVOIDABLE_FACTOR = 1.5
"""Weight of an unused or hidden column: shipped although nobody needs it."""
PACKED_FILE_POINTS = 1.0
"""Per packed raw data file or query cache (TA103): rows outside any extract."""
HALF_SCORE_POINTS = 20.0
"""Points at which the score reaches the middle of its level's band."""

# NOTE: rule ids and evidence keys are the catalogue's contract (rules/*.py); kept here as
# constants so that the model reads findings without importing the rule checks.
_PASSWORD_RULE = "TA301"  # noqa: S105 - a rule id, not a password
_EMBEDDED_RULE = "TA302"
_SECRET_RULE = "TA303"  # noqa: S105 - a rule id, not a secret
_PACKED_RULE = "TA103"
_PUBLISHED_RULE = "TA250"
_PARTIAL_RULE = "TA902"
_CREDENTIAL_MARKERS = ("password", "private-key", "aws", "credential")
"""Secret kinds that unlock data by themselves (as TA303 grades them): high tier."""

_ROW_ACTIONS = {
    ArtifactKind.WORKBOOK: ("download_full_data",),
    ArtifactKind.DATASOURCE: ("connect", "api_access"),
}
"""Actions that hand out every row of every visible (not hidden) column."""
_FILE_ACTIONS = ("download_workbook", "download_datasource")
"""Actions that hand out the file: its packaged extract and stored secrets included."""
_SUMMARY_ACTIONS = ("download_summary_data",)
"""Actions that hand out the data the views show (used columns only)."""
_ACTION_TEXT = {
    "view": "view it",
    "download_summary_data": "download summary data",
    "download_full_data": "download full data",
    "download_workbook": "download the workbook",
    "connect": "connect to it",
    "download_datasource": "download the data source",
    "api_access": "query it through the API",
}


@dataclass(frozen=True, slots=True)
class _Entry:
    """One confidential thing the item exposes: its effective tier, reach and score points."""

    tier: Tier
    reach: Reach
    points: float
    what: str
    """``data`` or ``credentials``, for the level's reason."""


def with_risk(item: ItemReport, *, min_tier: Tier) -> ItemReport:
    """``item`` with its :attr:`~ItemReport.risk` assessed (its current risk is ignored)."""
    return dataclasses.replace(item, risk=assess_risk(item, min_tier=min_tier))


def assess_risk(item: ItemReport, *, min_tier: Tier) -> Risk:
    """Level, score and reasons of one item. ``min_tier``: the policy's confidential tier."""
    confidential = [
        c
        for c in item.columns
        if c.classification is not None and c.classification.tier >= min_tier
    ]
    entries = [
        *_column_entries(confidential, item.exposure, item.kind),
        *_secret_entries(item.findings, item.exposure, item.kind),
        *_published_entries(item.findings),
    ]
    packed = sum(1 for f in item.findings if f.rule_id == _PACKED_RULE)
    level, headline = _level(entries, item.exposure, item.kind)
    points = sum(e.points for e in entries) + PACKED_FILE_POINTS * packed
    low, high = BANDS[level]
    score = low + round((high - low) * points / (points + HALF_SCORE_POINTS)) if high else 0
    reasons = [
        headline,
        *_column_reasons(confidential, item.exposure is None, item.kind),
        *_finding_reasons(item.findings),
        _exposure_reason(item.exposure, item.kind),
    ]
    return Risk(level=level, score=score, reasons=tuple(r for r in reasons if r))


# --- entries --------------------------------------------------------------------------------------


def _column_entries(
    columns: Iterable[ColumnReport], exposure: Exposure | None, kind: ArtifactKind
) -> Iterator[_Entry]:
    for column in columns:
        assert column.classification is not None  # only confidential columns come here
        tier: Tier | None = column.classification.tier
        if exposure is None and not column.data_in_file:
            tier = _lower(column.classification.tier)  # only named: the file holds no values
        if tier is None:
            continue
        # NOTE: only a workbook has sheets: a data source's columns are neither used nor unused.
        unused = kind is ArtifactKind.WORKBOOK and not column.used
        avoidable = unused or (column.hidden and column.data_in_file)
        points = POINTS[tier] * (AVOIDABLE_FACTOR if avoidable else 1.0)
        yield _Entry(tier, _column_reach(column, exposure, kind), points, "data")


def _lower(tier: Tier) -> Tier | None:
    return Tier(int(tier) - 1) if tier > Tier.LOW else None


def _column_reach(column: ColumnReport, exposure: Exposure | None, kind: ArtifactKind) -> Reach:
    """Widest audience of a channel that carries the column's values."""
    if exposure is None:
        return Reach.LIMITED  # a local file goes to whoever receives it: not known here
    audiences = exposure.audiences
    carrying: list[str] = []
    if column.data_in_file:
        carrying.extend(_FILE_ACTIONS)
    if not column.hidden:  # hidden fields are left out of full-data downloads
        carrying.extend(_ROW_ACTIONS.get(kind, ()))
        if column.used:
            carrying.extend(_SUMMARY_ACTIONS)
    if any(audiences[a].broad for a in carrying if a in audiences):
        return Reach.EVERYONE_DOWNLOADS
    view = audiences.get("view")
    if view is not None and view.broad and column.used and not column.hidden:
        return Reach.EVERYONE_VIEWS
    return Reach.LIMITED if _anyone(audiences.values()) else Reach.NOBODY


def _anyone(audiences: Iterable[Audience]) -> bool:
    return any(a.broad or a.groups or a.users or a.users_allowed for a in audiences)


def _secret_entries(
    findings: Sequence[Finding], exposure: Exposure | None, kind: ArtifactKind
) -> Iterator[_Entry]:
    """Stored secrets travel with the file; an embedded server password serves every viewer."""
    for finding in findings:
        if finding.rule_id in (_PASSWORD_RULE, _SECRET_RULE):
            secret_kind = str(finding.evidence.get("kind", ""))
            credential = finding.rule_id == _PASSWORD_RULE or any(
                marker in secret_kind for marker in _CREDENTIAL_MARKERS
            )
            tier = Tier.HIGH if credential else Tier.MODERATE
            reach = _action_reach(exposure, _FILE_ACTIONS, download=True)
            yield _Entry(tier, reach, POINTS[tier], "credentials" if credential else "secrets")
        elif finding.rule_id == _EMBEDDED_RULE:
            reach = _action_reach(exposure, ("view",), download=False)
            yield _Entry(Tier.MODERATE, reach, POINTS[Tier.MODERATE], "credentials")


def _action_reach(exposure: Exposure | None, actions: Sequence[str], *, download: bool) -> Reach:
    if exposure is None:
        return Reach.LIMITED
    held = [exposure.audiences[a] for a in actions if a in exposure.audiences]
    if any(a.broad for a in held):
        return Reach.EVERYONE_DOWNLOADS if download else Reach.EVERYONE_VIEWS
    return Reach.LIMITED if _anyone(held) else Reach.NOBODY


def _published_entries(findings: Sequence[Finding]) -> Iterator[_Entry]:
    """Columns of published data sources that everyone can download through this workbook.

    The item's own columns are already entries; TA250 findings about its own columns would
    count them twice, so only those located in a published data source are taken.
    """
    tiers = {t.label: t for t in Tier}
    for finding in findings:
        path = finding.location.object_path
        if finding.rule_id != _PUBLISHED_RULE or not path:
            continue
        if not path[0].startswith("published-datasource:"):
            continue
        tier = tiers.get(str(finding.evidence.get("tier", "")))
        if tier is not None:
            yield _Entry(tier, Reach.EVERYONE_DOWNLOADS, POINTS[tier], "data")


# --- level and reasons ----------------------------------------------------------------------------

_REACH_TEXT = {
    Reach.NOBODY: "that only its owner and administrators can reach",
    Reach.EVERYONE_VIEWS: "that everyone can see",
    Reach.EVERYONE_DOWNLOADS: "that everyone can download",
}


def _level(
    entries: Sequence[_Entry], exposure: Exposure | None, kind: ArtifactKind
) -> tuple[RiskLevel, str]:
    """The worst entry's level and the sentence that explains it."""
    if not entries:
        if exposure is not None and _broad_download(exposure, kind):
            return RiskLevel.LOW, "low: no confidential data found, but everyone can download it"
        return RiskLevel.NONE, "none: no confidential data or stored secrets found"
    worst = max(entries, key=lambda e: (MATRIX[e.tier][e.reach], e.reach, e.tier))
    level = MATRIX[worst.tier][worst.reach]
    if worst.reach is Reach.LIMITED:
        where = (
            "in a local file (who receives it is not known)"
            if exposure is None
            else "that only some users can reach"
        )
    else:
        where = _REACH_TEXT[worst.reach]
    return level, f"{level.label}: {worst.tier.label}-tier {worst.what} {where}"


def _broad_download(exposure: Exposure, kind: ArtifactKind) -> bool:
    actions = (*_FILE_ACTIONS, *_ROW_ACTIONS.get(kind, ()), *_SUMMARY_ACTIONS)
    return any(exposure.audiences[a].broad for a in actions if a in exposure.audiences)


def _column_reasons(
    columns: Sequence[ColumnReport], local: bool, kind: ArtifactKind
) -> Iterator[str]:
    if not columns:
        return
    tiers = Counter(c.classification.tier for c in columns if c.classification is not None)
    by_tier = " and ".join(f"{tiers[t]} {t.label}-tier" for t in sorted(tiers, reverse=True))
    yield f"{by_tier} confidential column{_s(len(columns))}"
    unused = sum(1 for c in columns if not c.used) if kind is ArtifactKind.WORKBOOK else 0
    if unused:
        subject = (
            ("none of them is" if len(columns) > 1 else "it is not")
            if unused == len(columns)
            else f"{unused} of them {'are' if unused > 1 else 'is'} not"
        )
        yield f"{subject} used by any sheet, calculation, filter or action"
    hidden = sum(1 for c in columns if c.hidden and c.data_in_file)
    if hidden:
        yield f"{hidden} hidden column{_s(hidden)} still in the packaged data"
    in_file = sum(1 for c in columns if c.data_in_file)
    if in_file:
        yield (
            f"{_of(in_file, len(columns))} in the file "
            "(packaged extract or packed data file): whoever gets the file gets the values"
        )
    named = len(columns) - in_file
    if named and local:
        their = "their" if named > 1 else "its"
        yield f"{_of(named, len(columns))} only named: the file does not hold {their} values"


def _of(part: int, whole: int) -> str:
    if part == whole:
        return "all of them are" if whole > 1 else "it is"
    return f"{part} of them {'are' if part > 1 else 'is'}"


def _finding_reasons(findings: Sequence[Finding]) -> Iterator[str]:
    counts = Counter(f.rule_id for f in findings)
    texts = (
        (_PASSWORD_RULE, "database password{s} stored in the file"),
        (_SECRET_RULE, "other secret{s} (API keys, tokens, credentials) stored in the file"),
        (_EMBEDDED_RULE, "server connection{s} embedding a database password"),
        (_PUBLISHED_RULE, "confidential column{s} that everyone can download"),
        (_PACKED_RULE, "raw data file{s} or query cache{s} packed with the item"),
        (_PARTIAL_RULE, "part{s} that could not be read, so the risk may be higher"),
    )
    for rule_id, text in texts:
        if counts[rule_id]:
            yield f"{counts[rule_id]} {text.format(s=_s(counts[rule_id]))}"


def _exposure_reason(exposure: Exposure | None, kind: ArtifactKind) -> str:
    if exposure is None:
        return "local file: not published, so who will see it is not known"
    groups: dict[str, list[str]] = {}
    for action, audience in exposure.audiences.items():
        groups.setdefault(_audience_text(audience), []).append(_ACTION_TEXT.get(action, action))
    parts = [f"{who} can {_join(actions)}" for who, actions in groups.items()]
    governed = "" if exposure.governed_by == "item" else f" (set by the {exposure.governed_by})"
    return "; ".join(parts) + governed


def _audience_text(audience: Audience) -> str:
    if audience.broad:
        parts = []
        if audience.all_users:
            parts.append("everyone signed in (All Users)")
        if audience.guest:
            parts.append("visitors without an account (Guest)")
        return " and ".join(parts)
    named = [f"group {g!r}" for g in audience.groups] + [f"user {u!r}" for u in audience.users]
    if named:
        shown = named[:3] + ([f"{len(named) - 3} more"] if len(named) > 3 else [])
        return "only " + _join(shown)
    if audience.users_allowed:
        return f"only {audience.users_allowed} user{_s(audience.users_allowed)}"
    return "nobody besides owners and administrators"


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _s(count: int) -> str:
    return "" if count == 1 else "s"
