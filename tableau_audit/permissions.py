"""Effective permissions of published content (rest-api.md §4.1–§4.5). Pure.

For every workbook, view and data source: which capabilities are open to everyone signed in
(All Users), to visitors without an account (Guest), and to which groups and users. The REST
API returns explicit rules only; implicit rights (administrators, owners, project leaders) and
the site-role ceilings are applied here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tableau_audit.model import (
    ArtifactKind,
    GranteeKind,
    PermissionRule,
    ServerItem,
    ServerProject,
    ServerUser,
    SiteSnapshot,
)

ALL_USERS = "all users"
"""Name of the built-in group, compared case-insensitively."""

WORKBOOK_CAPABILITIES = (
    "Read", "Filter", "ViewComments", "AddComment", "ExportImage", "ExportData", "ShareView",
    "ViewUnderlyingData", "WebAuthoring", "RunExplainData", "ExportXml", "Write",
    "CreateRefreshMetrics", "ChangeHierarchy", "Delete", "ChangePermissions",
)  # fmt: skip
VIEW_CAPABILITIES = (
    "Read", "Filter", "ViewComments", "AddComment", "ExportImage", "ExportData", "ShareView",
    "ViewUnderlyingData", "WebAuthoring", "Delete", "ChangePermissions",
)  # fmt: skip
DATASOURCE_CAPABILITIES = (
    "Read", "Connect", "ExportXml", "Write", "SaveAs", "ChangeHierarchy", "Delete",
    "ChangePermissions", "VizqlDataApiAccess", "PulseMetricDefine",
)  # fmt: skip

_VIEWER_WORKBOOK = frozenset(
    {"Read", "Filter", "ViewComments", "AddComment", "ExportImage", "ExportData", "RunExplainData"}
)
_EXPLORER_WORKBOOK = _VIEWER_WORKBOOK | {"ShareView", "ViewUnderlyingData", "WebAuthoring"}
_GUEST_WORKBOOK = frozenset(
    {"Read", "Filter", "ViewComments", "ExportImage", "ExportData", "ViewUnderlyingData",
     "WebAuthoring", "ExportXml"}
)  # fmt: skip
_VIEWER_DATASOURCE = frozenset({"Read"})
_EXPLORER_DATASOURCE = frozenset({"Read", "Connect", "VizqlDataApiAccess"})
_GUEST_DATASOURCE = frozenset({"Read", "ExportXml"})
_EVERYTHING = frozenset(WORKBOOK_CAPABILITIES) | frozenset(DATASOURCE_CAPABILITIES)

ADMIN_ROLES = frozenset(
    {"ServerAdministrator", "SiteAdministrator", "SiteAdministratorCreator",
     "SiteAdministratorExplorer"}
)  # fmt: skip
_FULL_ROLES = frozenset({"Creator", "ExplorerCanPublish", "Publisher"}) | ADMIN_ROLES
_EXPLORER_ROLES = frozenset({"Explorer", "Interactor"})
_VIEWER_ROLES = frozenset({"Viewer", "ViewerWithPublish", "ReadOnly"})


def ceiling(site_role: str, kind: ArtifactKind) -> frozenset[str]:
    """Capabilities a site role can ever have on content of this kind (§4.1, §4.5, §4.6)."""
    is_workbook = kind is ArtifactKind.WORKBOOK
    if site_role in _FULL_ROLES:
        return _EVERYTHING
    if site_role in _EXPLORER_ROLES:
        return _EXPLORER_WORKBOOK if is_workbook else _EXPLORER_DATASOURCE
    if site_role in _VIEWER_ROLES:
        return _VIEWER_WORKBOOK if is_workbook else _VIEWER_DATASOURCE
    if site_role == "Guest":
        return _GUEST_WORKBOOK if is_workbook else _GUEST_DATASOURCE
    return frozenset()  # Unlicensed, UnlicensedWithPublish, SupportUser, unknown roles


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityAccess:
    """Who effectively holds one capability on one item."""

    capability: str
    all_users: bool
    """Open to everyone signed in: All Users is allowed and a plain member really gets it."""
    guest: bool
    """Open without an account: guest access is on and the Guest user gets it."""
    groups: tuple[str, ...] = ()
    """Groups (other than All Users) with an Allow that reaches at least one member."""
    users: tuple[str, ...] = ()
    """Users granted by an explicit user rule."""
    users_allowed: int = 0
    """Licensed users (not admins or owners) who effectively hold it."""

    @property
    def broad(self) -> bool:
        """True when everyone signed in, or anyone at all, holds it."""
        return self.all_users or self.guest


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectiveAccess:
    """Effective access to an item and, when tabs are hidden, to each of its views."""

    governed_by: str
    """``item``, or ``locked project <name>`` when a locked project's defaults apply."""
    capabilities: Mapping[str, CapabilityAccess]
    views: Mapping[str, Mapping[str, CapabilityAccess]]

    def open_to_everyone(self, capability: str) -> bool:
        """True when All Users or Guest hold the capability on the item or on any view."""
        found = self.capabilities.get(capability)
        if found is not None and found.broad:
            return True
        return any(v[capability].broad for v in self.views.values() if capability in v)


def _ancestors(site: SiteSnapshot, project_id: str | None) -> list[ServerProject]:
    """The project and its ancestors, nearest first (cycles are cut)."""
    chain: list[ServerProject] = []
    seen: set[str] = set()
    project = site.project(project_id)
    while project is not None and project.id not in seen:
        chain.append(project)
        seen.add(project.id)
        project = site.project(project.parent_id)
    return chain


def locking_project(site: SiteSnapshot, item: ServerItem) -> ServerProject | None:
    """The project whose default permissions govern the item, None when it is not locked."""
    chain = _ancestors(site, item.project_id)
    locked = [p for p in chain if p.content_permissions == "LockedToProject"]
    if locked:
        return locked[-1]  # the highest locked ancestor governs the whole hierarchy
    if chain and chain[0].content_permissions == "LockedToProjectWithoutNested":
        return chain[0]
    return None


def governing_rules(site: SiteSnapshot, item: ServerItem) -> tuple[str, tuple[PermissionRule, ...]]:
    """Which rule set applies to the item, and a label saying why."""
    locker = locking_project(site, item)
    if locker is None:
        return "item", item.rules
    defaults = (
        locker.default_workbook_rules
        if item.kind is ArtifactKind.WORKBOOK
        else locker.default_datasource_rules
    )
    return f"locked project {locker.name}", defaults


class _Evaluator:
    """Evaluates one rule set for every user; built once per item."""

    def __init__(self, site: SiteSnapshot, item: ServerItem, rules: Iterable[PermissionRule]):
        self.site = site
        self.item = item
        self.rules = tuple(rules)
        self.groups_of: dict[str, set[str]] = {}
        for group in site.groups:
            for member in group.member_ids:
                self.groups_of.setdefault(member, set()).add(group.id)
        self.leaders = _project_leaders(site, item, self.groups_of)

    def _modes(self, kind: GranteeKind, ids: Iterable[str], capability: str) -> set[str]:
        wanted = set(ids)
        return {
            mode
            for rule in self.rules
            if rule.grantee_kind is kind and rule.grantee_id in wanted
            for mode in [rule.mode(capability)]
            if mode is not None
        }

    def implicit(self, user: ServerUser) -> bool:
        """Admins, the owner and project leaders hold everything up to their ceiling."""
        return (
            user.site_role in ADMIN_ROLES
            or user.id == self.item.owner_id
            or user.id in self.leaders
        )

    def allowed(self, user: ServerUser, capability: str) -> bool:
        """The §4.2 algorithm for one user and one capability."""
        if capability not in ceiling(user.site_role, self.item.kind):
            return False
        if self.implicit(user):
            return True
        user_modes = self._modes(GranteeKind.USER, [user.id], capability)
        if user_modes:
            return "Deny" not in user_modes
        group_modes = self._modes(GranteeKind.GROUP, self.groups_of.get(user.id, ()), capability)
        return "Allow" in group_modes and "Deny" not in group_modes


def _project_leaders(
    site: SiteSnapshot, item: ServerItem, groups_of: Mapping[str, set[str]]
) -> frozenset[str]:
    """Users who lead the item's project or an ancestor (directly or through a group)."""
    leaders: set[str] = set()
    for project in _ancestors(site, item.project_id):
        for rule in project.rules:
            if rule.mode("ProjectLeader") != "Allow":
                continue
            if rule.grantee_kind is GranteeKind.USER:
                leaders.add(rule.grantee_id)
            else:
                leaders.update(u for u, gs in groups_of.items() if rule.grantee_id in gs)
        if project.owner_id:
            leaders.add(project.owner_id)
    return frozenset(leaders)


def _capability_access(ev: _Evaluator, capability: str) -> CapabilityAccess:
    site = ev.site
    all_users_group = next((g for g in site.groups if g.name.casefold() == ALL_USERS), None)
    holders = [u for u in site.users if u.site_role != "Guest" and ev.allowed(u, capability)]
    plain = [u for u in holders if not ev.implicit(u)]
    all_users = False
    if all_users_group is not None:
        group_modes = ev._modes(GranteeKind.GROUP, [all_users_group.id], capability)
        all_users = group_modes == {"Allow"} and any(
            not ev._modes(GranteeKind.USER, [u.id], capability) for u in plain
        )
    guest_user = next((u for u in site.users if u.site_role == "Guest"), None)
    guest = bool(site.guest_access_enabled and guest_user and ev.allowed(guest_user, capability))
    names = {g.id: g.name for g in site.groups}
    plain_ids = {u.id for u in plain}
    groups = sorted(
        names.get(rule.grantee_id, rule.grantee_id)
        for rule in ev.rules
        if rule.grantee_kind is GranteeKind.GROUP
        and rule.mode(capability) == "Allow"
        and (all_users_group is None or rule.grantee_id != all_users_group.id)
        and any(rule.grantee_id in ev.groups_of.get(uid, ()) for uid in plain_ids)
    )
    user_names = {u.id: u.name for u in site.users}
    users = sorted(
        user_names.get(rule.grantee_id, rule.grantee_id)
        for rule in ev.rules
        if rule.grantee_kind is GranteeKind.USER and rule.mode(capability) == "Allow"
    )
    return CapabilityAccess(
        capability=capability,
        all_users=all_users,
        guest=guest,
        groups=tuple(groups),
        users=tuple(users),
        users_allowed=len(plain),
    )


def _access_map(ev: _Evaluator, capabilities: Iterable[str]) -> dict[str, CapabilityAccess]:
    return {cap: _capability_access(ev, cap) for cap in capabilities}


def effective_access(site: SiteSnapshot, item: ServerItem) -> EffectiveAccess:
    """Effective access to a workbook (and its views) or a data source."""
    governed_by, rules = governing_rules(site, item)
    is_workbook = item.kind is ArtifactKind.WORKBOOK
    capabilities = WORKBOOK_CAPABILITIES if is_workbook else DATASOURCE_CAPABILITIES
    item_access = _access_map(_Evaluator(site, item, rules), capabilities)
    views: dict[str, Mapping[str, CapabilityAccess]] = {}
    # Views follow the workbook unless tabs are hidden in an unlocked project (§4.3).
    if is_workbook and not item.show_tabs and governed_by == "item":
        for view in item.views:
            views[view.name] = _access_map(_Evaluator(site, item, view.rules), VIEW_CAPABILITIES)
    return EffectiveAccess(governed_by=governed_by, capabilities=item_access, views=views)
