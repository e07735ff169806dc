"""Skip-unchanged for published content: what a source asks before it downloads an item.

A nightly run (``--history``) downloads and parses only the items whose ``updatedAt`` or size
changed since they were last analysed (tableau-inspector's pre-download identity key). The
source still reads every item's permissions and connections, which change without any content
change, and asks a :class:`ContentCache` whether the content is already analysed; if so it
hands out an :class:`UnchangedItem` instead of a download, and the engine re-evaluates the
rules on the :class:`StoredAnalysis`. The history (``tableau_audit.history``) implements it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from typing import Protocol

from tableau_audit.classify.types import ColumnClassification
from tableau_audit.model import ServerItem, Workbook
from tableau_audit.records import frozen

__all__ = ["ContentCache", "StoredAnalysis", "UnchangedItem"]


@frozen
class StoredAnalysis:
    """What the rules need of an item's content: its parsed model and its classifications.

    Never a sampled value: the model holds none, and classifications hold counts and masked
    exemplars only.
    """

    workbook: Workbook
    """The parsed item without its ``server`` part (re-read on every run)."""
    classifications: Mapping[tuple[str, str], ColumnClassification] = field(default_factory=dict)
    """Per (data-source name, column name), as :func:`engine.classify_columns` returned them."""


@frozen
class UnchangedItem:
    """A published item whose content is already analysed: fresh server facts, no download."""

    item: ServerItem


class ContentCache(Protocol):
    """Stored analyses of published items, keyed by item id, ``updatedAt`` and size."""

    def is_current(self, item: ServerItem) -> bool:
        """True when an analysis of the item at its ``updated_at`` and ``size`` is stored.

        Called on the source's worker threads: no I/O, no shared mutable state.
        """
        ...

    def load(self, item: ServerItem) -> StoredAnalysis | None:
        """The stored analysis; None when it cannot be read (the engine then reports the item
        as not audited, and the cache forgets it so that the next run downloads it)."""
        ...

    def store(self, item: ServerItem, analysis: StoredAnalysis) -> None:
        """Keep the analysis of freshly downloaded content."""
        ...
