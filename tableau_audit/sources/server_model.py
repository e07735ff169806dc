"""tableauserverclient items → the frozen server model (``model.Server*``). No network.

Each function reads the TSC attributes it needs once. Lazy TSC properties (``permissions``,
``connections``, ``default_*_permissions``) re-request on every access (rest-api.md §1.5), so
callers pass the value they read, never the TSC item, for those.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tableau_audit.model import (
    ArtifactKind,
    GranteeKind,
    PermissionRule,
    ServerConnection,
    ServerItem,
    ServerProject,
    ServerUser,
    ServerView,
)

__all__ = [
    "connections",
    "item_url",
    "permission_rules",
    "project",
    "server_item",
    "user",
]

logger = logging.getLogger(__name__)

_GRANTEES = {"user": GranteeKind.USER, "group": GranteeKind.GROUP}
_MODES = frozenset({"Allow", "Deny"})


def permission_rules(rules: Iterable[Any] | None, *, where: str) -> tuple[PermissionRule, ...]:
    """TSC ``PermissionsRule`` objects → :class:`PermissionRule`, capabilities sorted.

    Group-set grantees are not modelled: their rules are dropped with a warning naming the
    item, so the report never claims more certainty than it has.
    """
    converted: list[PermissionRule] = []
    for rule in rules or ():
        grantee = rule.grantee
        kind = _GRANTEES.get(getattr(grantee, "tag_name", ""))
        if kind is None:
            logger.warning("%s: a rule for a %s is ignored", where, grantee.tag_name)
            continue
        capabilities = tuple(
            sorted((str(c), str(m)) for c, m in (rule.capabilities or {}).items() if m in _MODES)
        )
        converted.append(
            PermissionRule(grantee_kind=kind, grantee_id=grantee.id, capabilities=capabilities)
        )
    return tuple(converted)


def user(item: Any) -> ServerUser:
    """A site user (id, sign-in name, site role)."""
    return ServerUser(id=item.id, name=item.name or "", site_role=item.site_role or "")


def project(item: Any, **rules: tuple[PermissionRule, ...]) -> ServerProject:
    """A project; ``rules``/``default_workbook_rules``/``default_datasource_rules`` by keyword."""
    return ServerProject(
        id=item.id,
        name=item.name or "",
        parent_id=item.parent_id or None,
        content_permissions=item.content_permissions or "ManagedByOwner",
        owner_id=item.owner_id or None,
        **rules,
    )


def connections(items: Iterable[Any] | None) -> tuple[ServerConnection, ...]:
    """Connections of published content. TSC never receives the password (REST omits it)."""
    return tuple(
        ServerConnection(
            id=c.id,
            connection_type=c.connection_type or "",
            server_address=c.server_address or "",
            username=c.username or "",
            embed_password=bool(c.embed_password),
            datasource_id=c.datasource_id or None,
            datasource_name=c.datasource_name or "",
        )
        for c in items or ()
    )


def item_url(item: Any, *, server_url: str, site: str, kind: ArtifactKind) -> str:
    """The item's web page URL, or one built from the site and its content URL."""
    if item.webpage_url:
        return str(item.webpage_url)
    folder = "workbooks" if kind is ArtifactKind.WORKBOOK else "datasources"
    return f"{server_url.rstrip('/')}/#/site/{site}/{folder}/{item.content_url or item.id}"


def project_of(item: Any) -> tuple[str | None, str | None]:
    """(project id, name); both None in a Personal Space.

    NOTE: TSC 0.42 gives an item without ``<project>`` a random ``project_id`` (docs/simulator.md),
    so a missing project name is the reliable sign.
    """
    if item.project_name is None:
        return None, None
    return item.project_id, item.project_name


def _timestamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""


def server_item(
    item: Any,
    *,
    kind: ArtifactKind,
    url: str,
    rules: tuple[PermissionRule, ...],
    views: tuple[ServerView, ...],
    conns: tuple[ServerConnection, ...],
) -> ServerItem:
    """A workbook or data source as the server describes it."""
    project_id, project_name = project_of(item)
    show_tabs = bool(item.show_tabs) if kind is ArtifactKind.WORKBOOK else True
    return ServerItem(
        kind=kind,
        id=item.id,
        name=item.name or "",
        url=url,
        project_id=project_id,
        project_name=project_name,
        owner_id=item.owner_id or None,
        show_tabs=show_tabs,
        has_extract=bool(item.has_extracts),
        updated_at=_timestamp(item.updated_at),
        size=item.size,
        rules=rules,
        views=views,
        connections=conns,
    )
