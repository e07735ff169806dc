"""Exposure of published items: effective access condensed for reports. Pure.

:func:`exposure_of` turns :class:`~tableau_audit.permissions.EffectiveAccess` into the
``exposure`` block of an item (who can view, download summary data, download full data and
download the workbook or data source). A capability granted on any view with its own rules
widens the item's audience: what matters is whether *some* part of the item is open.

:func:`published_source_audit` keeps, from a published data source's report, what the
workbooks reading it need (its confidential columns), so the engine can drop the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tableau_audit.classify.types import Tier
from tableau_audit.findings import Audience, Exposure, ItemReport, PublishedSourceAudit
from tableau_audit.model import ArtifactKind, ServerItem
from tableau_audit.permissions import EffectiveAccess

__all__ = [
    "DATASOURCE_ACTIONS",
    "WORKBOOK_ACTIONS",
    "exposure_of",
    "published_ids",
    "published_source_audit",
]

WORKBOOK_ACTIONS: tuple[tuple[str, str], ...] = (
    ("view", "Read"),
    ("download_summary_data", "ExportData"),
    ("download_full_data", "ViewUnderlyingData"),
    ("download_workbook", "ExportXml"),
)
"""Report key → REST capability, for workbooks (rest-api.md §4.1)."""

DATASOURCE_ACTIONS: tuple[tuple[str, str], ...] = (
    ("view", "Read"),
    ("connect", "Connect"),
    ("download_datasource", "ExportXml"),
    ("api_access", "VizqlDataApiAccess"),
)
"""Report key → REST capability, for published data sources."""


def _merge(grants: Iterable[Audience]) -> Audience:
    found = list(grants)
    return Audience(
        all_users=any(g.all_users for g in found),
        guest=any(g.guest for g in found),
        groups=tuple(sorted({name for g in found for name in g.groups})),
        users=tuple(sorted({name for g in found for name in g.users})),
        users_allowed=max((g.users_allowed for g in found), default=0),
    )


def audience(access: EffectiveAccess, capability: str) -> Audience:
    """Who holds ``capability`` on the item or on any view with its own rules."""
    grants = [access.capabilities[capability]] if capability in access.capabilities else []
    grants.extend(v[capability] for v in access.views.values() if capability in v)
    return _merge(grants)


PUBLISHED_CONNECTION = "sqlproxy"
"""Connection type of a workbook's connection to a published data source."""


def published_ids(item: ServerItem, known: Iterable[str]) -> tuple[str, ...]:
    """Ids of the published data sources the item's connections read.

    Those are the connections to a ``known`` (audited) published data source, and every
    ``sqlproxy`` connection, so the link shows even when the data source was not audited.
    """
    wanted = set(known)
    return tuple(
        sorted(
            {
                c.datasource_id
                for c in item.connections
                if c.datasource_id
                and (c.datasource_id in wanted or c.connection_type == PUBLISHED_CONNECTION)
            }
        )
    )


def exposure_of(
    access: EffectiveAccess, kind: ArtifactKind, published: Iterable[str] = ()
) -> Exposure:
    """The exposure block of a workbook or published data source."""
    actions = WORKBOOK_ACTIONS if kind is ArtifactKind.WORKBOOK else DATASOURCE_ACTIONS
    audiences: Mapping[str, Audience] = {
        key: audience(access, capability) for key, capability in actions
    }
    return Exposure(
        governed_by=access.governed_by,
        audiences=audiences,
        views_with_own_rules=tuple(sorted(access.views)),
        published_datasources=tuple(published),
    )


def published_source_audit(
    report: ItemReport, item: ServerItem, min_tier: Tier
) -> PublishedSourceAudit:
    """A published data source's audit reduced to what workbooks reading it need."""
    confidential = tuple(
        column
        for column in report.columns
        if column.classification is not None and column.classification.tier >= min_tier
    )
    return PublishedSourceAudit(
        id=item.id, name=item.name, source=report.source, confidential=confidential
    )
