"""What a rule is, and the read-only context a rule check receives.

A rule is frozen metadata plus a pure check function
``(Workbook, RuleContext) -> Iterator[Violation]``.
Checks never read settings, samples, files or the server: everything they may know is in the
model and in :class:`RuleContext`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field

from tableau_audit.classify.types import ColumnClassification, Tier
from tableau_audit.findings import PublishedSourceAudit, Severity, Violation
from tableau_audit.model import ArtifactKind, Column, Datasource, Workbook
from tableau_audit.permissions import EffectiveAccess
from tableau_audit.records import frozen
from tableau_audit.usage import DatasourceUsage


class Needs(enum.Enum):
    """Which input a rule needs; the engine skips a rule cleanly when it is absent."""

    WORKBOOK = "workbook"
    EXTRACT = "extract"
    SERVER = "server"


@frozen
class RuleContext:
    """Derived facts about one item, computed once by the engine and shared by all rules."""

    usage: Mapping[str, DatasourceUsage]
    """Per data-source internal name: which fields are used, and why."""
    classifications: Mapping[tuple[str, str], ColumnClassification]
    """Per (data-source name, column name): the classification of confidential columns."""
    confidential_min_tier: Tier = Tier.MODERATE
    """Tier from which a classified column counts as confidential (policy)."""
    in_extract: Mapping[tuple[str, str], bool] = field(default_factory=dict)
    """Per (data-source name, column name): whether the column is physically in the extract."""
    access: EffectiveAccess | None = None
    """Effective permissions of the published item; None for local files."""
    published: Mapping[str, PublishedSourceAudit] = field(default_factory=dict)
    """Per published data-source id: its audit, for the workbooks that read it (server runs)."""

    def used_columns(self, ds: Datasource) -> frozenset[str]:
        """Local names of the fields of ``ds`` that something in the workbook uses."""
        usage = self.usage.get(ds.name)
        return usage.used if usage else frozenset()

    def classification(self, ds: Datasource, col: Column) -> ColumnClassification | None:
        """Classification of a column, None when it is not personal or confidential."""
        return self.classifications.get((ds.name, col.name))

    def is_confidential(self, ds: Datasource, col: Column) -> bool:
        """True when the column is classified at or above the policy's tier."""
        found = self.classification(ds, col)
        return found is not None and found.tier >= self.confidential_min_tier

    def column_in_extract(self, ds: Datasource, col: Column) -> bool | None:
        """True/False when the extract tells, None when the data source has no extract."""
        return self.in_extract.get((ds.name, col.name))


Check = Callable[[Workbook, RuleContext], Iterator[Violation]]


@frozen
class Rule:
    """A rule's metadata, written once and read by the engine, every report and the docs."""

    id: str
    """``TA`` + 3 digits; never renumbered or reused."""
    name: str
    """kebab-case."""
    severity: Severity
    """Default severity; graded rules may lower or raise it per violation from the evidence."""
    summary: str
    help: str
    """Markdown: why it matters and how to fix it."""
    check: Check | None
    """Pure check; None for diagnostics the engine itself raises (TA901, TA903)."""
    needs: Needs = Needs.WORKBOOK
    applies_to: frozenset[ArtifactKind] = frozenset(ArtifactKind)
    graded: bool = False
    tags: tuple[str, ...] = ()
    cwe: int | None = None
    deprecated: bool = False

    @property
    def help_uri(self) -> str:
        """Where the rule is documented in the repository."""
        return f"https://github.com/tableau-audit/tableau-audit/blob/main/docs/rules.md#{self.id.lower()}"
