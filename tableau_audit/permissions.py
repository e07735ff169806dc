"""Effective permissions of published content (rest-api.md §4.1–§4.5). Pure.

For every workbook, view and data source: which capabilities are open to everyone signed in
(All Users), to visitors without an account (Guest), and to which groups and users. The REST
API returns explicit rules only; implicit rights (administrators, owners, project leaders) and
the site-role ceilings are applied here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from tableau_audit.findings import Audience
from tableau_audit.model import (
    ArtifactKind,
    GranteeKind,
    PermissionRule,
    ServerItem,
    ServerProject,
    ServerUser,
    SiteSnapshot,
)
from tableau_audit.records import frozen

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


@frozen
class EffectiveAccess:
    """Effective access to an item and, when tabs are hidden, to each of its views."""

    governed_by: str
    """``item``, or ``locked project <name>`` when a locked project's defaults apply."""
    capabilities: Mapping[str, Audience]
    views: Mapping[str, Mapping[str, Audience]]

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


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """Group memberships and user classes of a site, computed once and shared by every item.

    Users with the same site role and the same groups get the same answer from group rules, so
    they are evaluated once per class: the cost grows with the number of classes, not of users.
    """

    groups_of: Mapping[str, frozenset[str]]
    classes: Mapping[tuple[str, frozenset[str]], tuple[ServerUser, ...]]
    all_users_id: str | None
    guest: ServerUser | None
    """The Guest user, when the site enables guest access (None otherwise)."""
    group_names: Mapping[str, str]
    user_names: Mapping[str, str]


def site_index(site: SiteSnapshot) -> SiteIndex:
    """Index a site for :func:`effective_access` (build it once per run)."""
    groups_of: dict[str, set[str]] = {}
    for group in site.groups:
        for member in group.member_ids:
            groups_of.setdefault(member, set()).add(group.id)
    frozen = {user: frozenset(ids) for user, ids in groups_of.items()}
    classes: dict[tuple[str, frozenset[str]], list[ServerUser]] = {}
    for user in site.users:
        if user.site_role != "Guest":
            key = (user.site_role, frozen.get(user.id, frozenset()))
            classes.setdefault(key, []).append(user)
    return SiteIndex(
        groups_of=frozen,
        classes={key: tuple(users) for key, users in classes.items()},
        all_users_id=next((g.id for g in site.groups if g.name.casefold() == ALL_USERS), None),
        guest=next((u for u in site.users if u.site_role == "Guest"), None)
        if site.guest_access_enabled
        else None,
        group_names={g.id: g.name for g in site.groups},
        user_names={u.id: u.name for u in site.users},
    )


def _modes_by_grantee(
    rules: Iterable[PermissionRule], kind: GranteeKind
) -> dict[str, dict[str, set[str]]]:
    """grantee id → capability → modes (several rules for one grantee are merged)."""
    found: dict[str, dict[str, set[str]]] = {}
    for rule in rules:
        if rule.grantee_kind is kind:
            for capability, mode in rule.capabilities:
                found.setdefault(rule.grantee_id, {}).setdefault(capability, set()).add(mode)
    return found


class _Evaluator:
    """Evaluates one rule set (an item's or a view's) for every user of the site."""

    def __init__(
        self,
        item: ServerItem,
        rules: Iterable[PermissionRule],
        index: SiteIndex,
        leaders: frozenset[str],
    ) -> None:
        """``leaders``: the item's project leaders (:func:`_project_leaders`), the same for the
        item and each of its views."""
        self.item = item
        self.index = index
        self.user_modes = _modes_by_grantee(rules, GranteeKind.USER)
        self.group_modes = _modes_by_grantee(rules, GranteeKind.GROUP)
        self.leaders = leaders
        # Per user class: how many members only group rules decide, and who is special
        # (implicit rights or a user rule of their own) and must be evaluated one by one.
        special = {item.owner_id, *self.leaders, *self.user_modes}
        self.plain_count: dict[tuple[str, frozenset[str]], int] = {}
        self.special: list[tuple[frozenset[str], ServerUser]] = []
        for key, members in index.classes.items():
            if key[0] in ADMIN_ROLES:
                continue
            chosen = [u for u in members if u.id in special]
            self.plain_count[key] = len(members) - len(chosen)
            self.special.extend((key[1], u) for u in chosen if not self.implicit(u))

    def implicit(self, user: ServerUser) -> bool:
        """Admins, the owner and project leaders hold everything up to their ceiling."""
        return (
            user.site_role in ADMIN_ROLES
            or user.id == self.item.owner_id
            or user.id in self.leaders
        )

    def by_groups(self, groups: frozenset[str], capability: str) -> bool:
        """Step 4 of §4.2: any Deny among the user's groups wins, else any Allow grants."""
        modes: set[str] = set()
        for group in groups:
            modes |= self.group_modes.get(group, {}).get(capability, set())
        return "Allow" in modes and "Deny" not in modes

    def allowed(self, user: ServerUser, capability: str) -> bool:
        """The §4.2 algorithm for one user and one capability."""
        if capability not in ceiling(user.site_role, self.item.kind):
            return False
        if self.implicit(user):
            return True
        user_modes = self.user_modes.get(user.id, {}).get(capability)
        if user_modes:
            return "Deny" not in user_modes
        return self.by_groups(self.index.groups_of.get(user.id, frozenset()), capability)


def _project_leaders(
    site: SiteSnapshot, item: ServerItem, groups_of: Mapping[str, frozenset[str]]
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


def _capability_access(ev: _Evaluator, capability: str) -> Audience:
    index = ev.index
    count = 0
    through_groups = False  # a plain member with no user rule holds it: group rules reach people
    reaching: set[str] = set()  # groups of the plain users who hold it
    users: list[str] = []
    for (role, groups), plain in ev.plain_count.items():
        if plain and capability in ceiling(role, ev.item.kind) and ev.by_groups(groups, capability):
            count += plain
            reaching |= groups
            through_groups = True
    for groups, user in ev.special:  # users with rules of their own (implicit users skipped)
        if not ev.allowed(user, capability):
            continue
        count += 1
        reaching |= groups
        if capability in ev.user_modes.get(user.id, {}):
            users.append(index.user_names.get(user.id, user.id))
        else:
            through_groups = True
    all_users = False
    if index.all_users_id is not None:
        modes = ev.group_modes.get(index.all_users_id, {}).get(capability, set())
        all_users = modes == {"Allow"} and through_groups
    guest = index.guest is not None and ev.allowed(index.guest, capability)
    groups_allowed = sorted(
        index.group_names.get(group, group)
        for group, caps in ev.group_modes.items()
        if caps.get(capability) == {"Allow"} and group != index.all_users_id and group in reaching
    )
    return Audience(
        all_users=all_users,
        guest=guest,
        groups=tuple(groups_allowed),
        users=tuple(sorted(users)),
        users_allowed=count,
    )


def _access_map(ev: _Evaluator, capabilities: Iterable[str]) -> dict[str, Audience]:
    return {cap: _capability_access(ev, cap) for cap in capabilities}


def effective_access(
    site: SiteSnapshot, item: ServerItem, *, index: SiteIndex | None = None
) -> EffectiveAccess:
    """Effective access to a workbook (and its views) or a data source.

    Pass ``index`` (from :func:`site_index`) when evaluating many items of one site.
    """
    index = index or site_index(site)
    governed_by, rules = governing_rules(site, item)
    is_workbook = item.kind is ArtifactKind.WORKBOOK
    capabilities = WORKBOOK_CAPABILITIES if is_workbook else DATASOURCE_CAPABILITIES
    leaders = _project_leaders(site, item, index.groups_of)
    item_access = _access_map(_Evaluator(item, rules, index, leaders), capabilities)
    views: dict[str, Mapping[str, Audience]] = {}
    # Views follow the workbook unless tabs are hidden in an unlocked project (§4.3).
    if is_workbook and not item.show_tabs and governed_by == "item":
        for view in item.views:
            evaluator = _Evaluator(item, view.rules, index, leaders)
            views[view.name] = _access_map(evaluator, VIEW_CAPABILITIES)
    return EffectiveAccess(governed_by=governed_by, capabilities=item_access, views=views)
