"""What the engine needs from a source of published content (Tableau Server / Cloud).

The engine (``engine_server.audit_server``) reads a site snapshot once, then one fetched item at a
time, in order: published data sources first, then workbooks, so that a workbook's audit can
link to the audits of the data sources it reads. The source owns the downloaded files: each
lives in a private temporary directory and is removed once the next item is requested (and
the directory when iteration ends), so nothing downloaded outlives the audit of its item.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tableau_audit.model import ArtifactKind, ServerItem, SiteSnapshot
from tableau_audit.records import frozen
from tableau_audit.sources.cache import UnchangedItem

__all__ = ["FetchFailure", "FetchedItem", "PublishedContentSource"]


@frozen
class FetchedItem:
    """A published item: how the server describes it, and its downloaded content."""

    item: ServerItem
    content: Path
    """The downloaded file, valid until the source is asked for the next item."""


@frozen
class FetchFailure:
    """An item the server would not hand out (403, a 5xx after retries, ...)."""

    kind: ArtifactKind
    source: str
    """Server URL of the item."""
    reason: str
    """What went wrong, e.g. ``the server refused access (403000)``. Never a secret."""


class PublishedContentSource(Protocol):
    """A site to audit: a snapshot of its users, groups and projects, then its items."""

    def snapshot(self) -> SiteSnapshot:
        """Site-wide facts effective permissions depend on (read once, then cached)."""
        ...

    def items(self) -> Iterator[FetchedItem | UnchangedItem | FetchFailure]:
        """Published data sources, then workbooks, each downloaded; failures as values.

        With a content cache (``--history``), an item whose content is already analysed comes
        as an :class:`UnchangedItem` (fresh permissions and connections, no download).
        """
        ...
