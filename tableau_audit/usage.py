"""Field usage: which fields of each data source something in the workbook really uses.

Pure: reads the model only (tableau-format.md §0 rules 2-3, §11, §12, §17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tableau_audit.model import Workbook


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasourceUsage:
    """Used fields of one data source and, for each, what uses it."""

    used: frozenset[str]
    """Local names (bracket-free) of used fields: columns, calculations, groups."""
    reasons: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per used field: ``worksheet:<name>``, ``calculation:<caption>``, ``filter``, ``action:<name>``..."""


def compute_usage(workbook: Workbook) -> Mapping[str, DatasourceUsage]:
    """Per data-source internal name, the closure of used fields."""
    raise NotImplementedError  # NOTE: being written (issue 2, field usage)
