"""Findings and the audit result: frozen values produced by the engine, read by the reports."""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING

from tableau_audit.classify.types import ColumnClassification, Tier
from tableau_audit.model import ArtifactKind
from tableau_audit.records import frozen

if TYPE_CHECKING:  # NOTE: changes.py builds on this module; the annotation is enough here
    from tableau_audit.changes import RunChanges


class Severity(enum.IntEnum):
    """Ordered severities, so ``--fail-on medium`` is a comparison."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name used on the command line and in reports."""
        return self.name.lower()

    @property
    def sarif_level(self) -> str:
        """SARIF ``level``: note / warning / error."""
        if self >= Severity.HIGH:
            return "error"
        return "warning" if self >= Severity.MEDIUM else "note"

    @property
    def security_severity(self) -> str:
        """GitHub code-scanning ``security-severity`` score."""
        return {0: "0.0", 1: "3.9", 2: "6.9", 3: "8.9", 4: "10.0"}[int(self)]

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse ``"high"`` etc.; raises ``ValueError`` naming the allowed values."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            allowed = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of: {allowed})") from None


@frozen
class Location:
    """Where a finding is: the artifact, a logical path inside it, and the XML line if known."""

    artifact: str
    """Path or server URL of the audited item."""
    object_path: tuple[str, ...] = ()
    """Logical path, e.g. ``("datasource:Permits", "column:SSN")``. Never a data value."""
    line: int | None = None

    @property
    def datasource(self) -> str | None:
        """Caption of the data source in ``object_path``, if any."""
        return _path_part(self.object_path, "datasource")

    @property
    def field(self) -> str | None:
        """Caption of the field in ``object_path``, if any."""
        return _path_part(self.object_path, "column")


def _path_part(path: tuple[str, ...], kind: str) -> str | None:
    prefix = f"{kind}:"
    return next((p[len(prefix) :] for p in path if p.startswith(prefix)), None)


@frozen
class Violation:
    """What a rule check yields. The engine turns it into a :class:`Finding`."""

    location: Location
    message: str
    severity: Severity | None = None
    """Only for rules declared ``graded``: severity from the evidence (e.g. the column's tier)."""
    evidence: Mapping[str, object] = field(default_factory=dict)
    """Counts, tiers, types, masked exemplars. Never a value, password or token."""


def fingerprint(rule_id: str, artifact_identity: str, object_path: tuple[str, ...]) -> str:
    """Stable identity: no line numbers, no values, no message text."""
    import hashlib  # NOTE: loads OpenSSL (~3 ms): only a run with a finding pays for it

    text = "\x1f".join((rule_id, artifact_identity, *object_path))
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


@frozen
class Finding:
    """A violation stamped by the engine with its rule's id, severity and fingerprint."""

    rule_id: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str
    evidence: Mapping[str, object] = field(default_factory=dict)


@frozen
class Skipped:
    """An input that could not be audited, with the specific reason. Always reported."""

    source: str
    reason: str
    finding: Finding
    """The TA901 finding that stands for it (counts towards ``--fail-on``)."""


@frozen
class ColumnReport:
    """One physical column of an audited item, with its usage and classification."""

    datasource: str
    """Data-source caption."""
    field: str
    """Field caption."""
    remote_name: str
    in_extract: bool | None
    """True/False when known from the extract metadata or .hyper; None when there is no extract."""
    used: bool
    hidden: bool
    classification: ColumnClassification | None
    used_by: tuple[str, ...] = ()
    """Why it is used: ``worksheet:Map``, ``calculation:Age``, ``filter``, ..."""
    extract_only: bool = False
    """True for a column the .hyper holds but the XML never mentions (shipped, unexplained)."""
    extract_table: str = ""
    """``schema.table`` of the .hyper table holding the column, when the .hyper was read."""
    extract_column: str = ""
    """The column's name in that table (``Lat1`` for a renamed duplicate), when known."""
    data_in_file: bool = False
    """True when the column's values are inside the audited file: a packaged extract holding
    it, or a packed raw data file its connection reads (whoever gets the file gets them)."""


@frozen
class ExtractReport:
    """What one data source's extract holds, as counts (never values)."""

    datasource: str
    """Data-source caption."""
    file: str
    """Extract file as named in the XML (package member for packaged extracts)."""
    status: str
    """``packaged``, ``missing``, ``empty``, ``not-packaged`` or ``disabled``."""
    readable: bool
    """True when the .hyper was opened and its catalogue read."""
    tables: int = 0
    rows: int | None = None
    columns: int = 0
    undescribed_columns: int = 0
    """Columns in the .hyper that the XML does not mention."""
    confidential_columns: int = 0


class RiskLevel(enum.IntEnum):
    """Overall risk of an item."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        """Lower-case name used in reports."""
        return self.name.lower()


@frozen
class Risk:
    """Risk of one item, with the reasons behind the level."""

    level: RiskLevel
    score: int
    reasons: tuple[str, ...] = ()


@frozen
class Audience:
    """Who effectively holds one capability on a published item (or on any of its views).

    Computed by :mod:`tableau_audit.permissions` per item and per view, merged per report action
    by :mod:`tableau_audit.exposure`.
    """

    all_users: bool
    """Everyone signed in to the site."""
    guest: bool
    """Visitors without an account (site guest access on and the Guest user allowed)."""
    groups: tuple[str, ...] = ()
    """Other groups whose Allow reaches at least one member (names, sorted)."""
    users: tuple[str, ...] = ()
    """Users who hold it through their own Allow rule, within their site role's ceiling."""
    users_allowed: int = 0
    """Licensed users (not administrators or owners) who effectively hold it."""

    @property
    def broad(self) -> bool:
        """True when everyone signed in, or anyone at all, holds it."""
        return self.all_users or self.guest


@frozen
class Exposure:
    """Who can see and download a published item (issue 4 "exposure" block)."""

    governed_by: str
    """``item``, or ``locked project <name>`` when a locked project's defaults apply."""
    audiences: Mapping[str, Audience]
    """Per action (``view``, ``download_full_data``, ...; fixed order): who holds it."""
    views_with_own_rules: tuple[str, ...] = ()
    """Views whose own rules apply (tabs hidden in an unlocked project)."""
    published_datasources: tuple[str, ...] = ()
    """Ids of the published data sources a workbook reads (their audits hold the columns)."""


@frozen
class PublishedSourceAudit:
    """What the audit of a published data source tells the workbooks that read it."""

    id: str
    name: str
    source: str
    """Server URL of the data source (its item's ``source``)."""
    confidential: tuple[ColumnReport, ...] = ()
    """Its columns classified at or above the policy's confidential tier."""


@frozen
class ItemReport:
    """The audit of one workbook, data source or extract."""

    source: str
    kind: ArtifactKind
    name: str
    risk: Risk
    findings: tuple[Finding, ...]
    columns: tuple[ColumnReport, ...]
    project: str | None = None
    item_id: str | None = None
    version: str = ""
    extract_rows: int | None = None
    """Total rows across the item's readable extracts, if any."""
    extracts: tuple[ExtractReport, ...] = ()
    exposure: Exposure | None = None
    """Who can see and download a published item; None for local files."""


@frozen
class SuppressedFinding:
    """A finding a configured suppression accepts: reported with its reason, never gating."""

    finding: Finding
    reason: str
    """The suppression's mandatory reason (from the configuration)."""
    expires: datetime.date | None = None


@frozen
class ExpiredSuppression:
    """A configured suppression past its expiry date: it no longer suppresses anything."""

    index: int
    """Position in the configuration's ``[[suppress]]`` list (0-based, as in error messages)."""
    selector: str
    """What it matched, e.g. ``fingerprint 3f2a…`` or ``TA101 workbook='*.twbx' field='SSN'``."""
    reason: str
    expires: datetime.date
    findings: int = 0
    """Findings it would still match, now reported (and gating) again."""


@frozen
class AuditResult:
    """Everything one run found. Sorted and deterministic."""

    items: tuple[ItemReport, ...]
    skipped: tuple[Skipped, ...]
    rules_run: tuple[str, ...]
    complete: bool = True
    confidential_min_tier: Tier = Tier.MODERATE
    """Policy tier from which a classified column counts as confidential (for report summaries)."""
    suppressed: tuple[SuppressedFinding, ...] = ()
    """Findings accepted by a configured suppression; not in ``findings``, never gating."""
    baseline: tuple[Finding, ...] = ()
    """Findings already recorded in the ``--baseline`` file; not in ``findings``, never gating."""
    expired_suppressions: tuple[ExpiredSuppression, ...] = ()
    changes: RunChanges | None = None
    """New, resolved and persisting findings since the last complete run (``--history``);
    None without a history."""

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding, including the TA901 findings of skipped inputs."""
        item_findings = tuple(f for item in self.items for f in item.findings)
        return item_findings + tuple(s.finding for s in self.skipped)

    @property
    def max_severity(self) -> Severity | None:
        """Highest severity of any finding, None when there are none."""
        return max((f.severity for f in self.findings), default=None)
