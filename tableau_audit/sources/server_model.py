"""tableauserverclient items → the frozen server model (``model.Server*``), and pure helpers
over them (project scope, ancestry, failure reasons). No network.

Each function reads the TSC attributes it needs once. Lazy TSC properties (``permissions``,
``connections``, ``default_*_permissions``) re-request on every access (rest-api.md §1.5), so
callers pass the value they read, never the TSC item, for those.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tableau_audit.errors import SourceError
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
    "in_scope",
    "item_url",
    "permission_rules",
    "project",
    "project_of",
    "reason",
    "scope",
    "server_item",
    "user",
    "with_ancestors",
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


# --- pure helpers over TSC items: scope, ancestry, failure reasons -----------------------


def reason(error: BaseException) -> str:
    """What went wrong, for a report: Tableau's code and summary, or the HTTP status.

    Never the exception's text: TSC embeds whole response bodies in some of them.
    """
    code = getattr(error, "code", None)
    summary = getattr(error, "summary", None)
    name = type(error).__name__
    if name == "InternalServerError":
        return f"the server answered HTTP {code} (after retries)"
    if code and isinstance(code, str) and code.startswith("403"):
        return f"the server refused access ({code}: {summary})"
    if code and isinstance(code, str) and code.startswith("404"):
        return f"not found on the server ({code}: {summary})"
    if code == "401002":
        return "the session expired repeatedly"
    if code:
        return f"the server answered {code}: {summary}"
    if name in {
        "ConnectionError",
        "Timeout",
        "ReadTimeout",
        "ConnectTimeout",
        "ChunkedEncodingError",
    }:
        return f"network error ({name})"
    return f"unexpected error ({name})"


def scope(projects: Sequence[Any], patterns: Sequence[str], label: str) -> set[str] | None:
    """Ids of the chosen projects and everything nested below them; None for the whole site.

    A pattern matches a project's name or its path from the top (``Parent/Child``), exactly or
    as a glob (``HR/*``), so that same-named projects in different places can be told apart.
    """
    if not patterns:
        return None
    by_id = {p.id: p for p in projects}
    children: dict[str | None, list[Any]] = {}
    for p in projects:
        children.setdefault(p.parent_id or None, []).append(p)
    chosen: set[str] = set()
    for pattern in patterns:
        roots = [
            p
            for p in projects
            if fnmatch.fnmatchcase(p.name or "", pattern)
            or fnmatch.fnmatchcase(project_path(p, by_id), pattern)
        ]
        if not roots:
            raise SourceError(f"{label}: no project named {pattern!r}")
        stack = [p.id for p in roots]
        while stack:
            current = stack.pop()
            if current not in chosen:
                chosen.add(current)
                stack.extend(c.id for c in children.get(current, []))
    return chosen


def project_path(project: Any, by_id: dict[str, Any]) -> str:
    """``Top/Middle/Name`` (cycles cut)."""
    names = [project.name or ""]
    seen = {project.id}
    parent = by_id.get(project.parent_id or "")
    while parent is not None and parent.id not in seen:
        names.append(parent.name or "")
        seen.add(parent.id)
        parent = by_id.get(parent.parent_id or "")
    return "/".join(reversed(names))


def in_scope(item: Any, scope: set[str] | None) -> bool:
    if scope is None:
        return True
    project_id, _ = project_of(item)
    return project_id in scope


def with_ancestors(projects: Iterable[Any], ids: Iterable[str | None]) -> set[str]:
    """The given project ids and all their ancestors (cycles cut)."""
    parent = {p.id: p.parent_id or None for p in projects}
    found: set[str] = set()
    for start in ids:
        current = start
        while current is not None and current not in found and current in parent:
            found.add(current)
            current = parent[current]
    return found
