"""Effective permissions (rest-api.md §4): table tests over hand-built sites."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tableau_audit.model import (
    ArtifactKind,
    GranteeKind,
    PermissionRule,
    ServerGroup,
    ServerItem,
    ServerProject,
    ServerUser,
    ServerView,
    SiteSnapshot,
)
from tableau_audit.permissions import ceiling, effective_access, governing_rules, site_index


def rule(kind: GranteeKind, grantee: str, **caps: str) -> PermissionRule:
    return PermissionRule(
        grantee_kind=kind, grantee_id=grantee, capabilities=tuple(sorted(caps.items()))
    )


def group_rule(grantee: str, **caps: str) -> PermissionRule:
    return rule(GranteeKind.GROUP, grantee, **caps)


def user_rule(grantee: str, **caps: str) -> PermissionRule:
    return rule(GranteeKind.USER, grantee, **caps)


USERS = (
    ServerUser(id="u-alice", name="alice", site_role="Explorer"),
    ServerUser(id="u-bob", name="bob", site_role="Viewer"),
    ServerUser(id="u-carol", name="carol", site_role="Creator"),
    ServerUser(id="u-admin", name="admin", site_role="SiteAdministratorCreator"),
    ServerUser(id="u-guest", name="Guest", site_role="Guest"),
)
EVERYONE = frozenset(u.id for u in USERS)
GROUPS = (
    ServerGroup(id="g-all", name="All Users", member_ids=EVERYONE),
    ServerGroup(id="g-fin", name="Finance", member_ids=frozenset({"u-alice"})),
)
PROJECTS = (
    ServerProject(id="p-top", name="Public"),
    ServerProject(id="p-mid", name="Team", parent_id="p-top"),
    ServerProject(id="p-leaf", name="Leaf", parent_id="p-mid"),
)


def site(**overrides: object) -> SiteSnapshot:
    base = SiteSnapshot(
        site_id="s", content_url="demo", users=USERS, groups=GROUPS, projects=PROJECTS
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def workbook(*rules: PermissionRule, **overrides: object) -> ServerItem:
    base = ServerItem(
        kind=ArtifactKind.WORKBOOK,
        id="wb",
        name="Permits",
        url="http://x/wb",
        project_id="p-leaf",
        owner_id="u-carol",
        rules=rules,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def test_all_users_allow_opens_read_to_everyone_signed_in() -> None:
    access = effective_access(site(), workbook(group_rule("g-all", Read="Allow")))
    read = access.capabilities["Read"]
    assert read.all_users is True
    assert read.guest is False  # guest access is off on this site
    assert read.users_allowed == 2  # alice and bob; carol owns it, admin is implicit


def test_deny_among_groups_beats_all_users_allow() -> None:
    item = workbook(group_rule("g-all", Read="Allow"), group_rule("g-fin", Read="Deny"))
    read = effective_access(site(), item).capabilities["Read"]
    assert read.users_allowed == 1  # bob only; alice is denied through Finance
    assert read.all_users is True  # still open to every other member


def test_deny_for_all_users_closes_it() -> None:
    item = workbook(group_rule("g-all", Read="Deny"), group_rule("g-fin", Read="Allow"))
    read = effective_access(site(), item).capabilities["Read"]
    assert read.all_users is False
    assert read.users_allowed == 0  # Deny beats Allow among groups, for alice too


def test_user_rule_beats_group_rules_both_ways() -> None:
    item = workbook(
        group_rule("g-all", Read="Deny"),
        user_rule("u-alice", Read="Allow"),
        user_rule("u-bob", ExportData="Deny"),
        group_rule("g-all", ExportData="Allow"),
    )
    access = effective_access(site(), item)
    assert access.capabilities["Read"].users == ("alice",)
    assert access.capabilities["Read"].users_allowed == 1
    assert access.capabilities["ExportData"].users_allowed == 1  # alice yes, bob denied


def test_viewer_site_role_never_downloads_full_data() -> None:
    viewers_only = site(users=(ServerUser(id="u-bob", name="bob", site_role="Viewer"),))
    item = workbook(group_rule("g-all", Read="Allow", ViewUnderlyingData="Allow"))
    access = effective_access(viewers_only, item)
    assert access.capabilities["Read"].all_users is True
    assert access.capabilities["ViewUnderlyingData"].users_allowed == 0
    assert access.capabilities["ViewUnderlyingData"].all_users is False


@pytest.mark.parametrize(
    ("enabled", "expected"),
    [(True, True), (False, False)],
)
def test_guest_only_when_site_guest_access_is_on(enabled: bool, expected: bool) -> None:
    item = workbook(group_rule("g-all", Read="Allow", ViewUnderlyingData="Allow"))
    access = effective_access(site(guest_access_enabled=enabled), item)
    assert access.capabilities["Read"].guest is expected
    assert access.capabilities["ViewUnderlyingData"].guest is expected
    assert access.capabilities["Write"].guest is False  # above the Guest ceiling


def test_locked_grandparent_defaults_govern_nested_content() -> None:
    locked = (
        replace(
            PROJECTS[0],
            content_permissions="LockedToProject",
            default_workbook_rules=(group_rule("g-fin", Read="Allow"),),
        ),
        *PROJECTS[1:],
    )
    item = workbook(group_rule("g-all", Read="Allow"))  # the item's own rule is ignored
    governed_by, _ = governing_rules(site(projects=locked), item)
    assert governed_by == "locked project Public"
    access = effective_access(site(projects=locked), item)
    assert access.capabilities["Read"].all_users is False
    assert access.capabilities["Read"].groups == ("Finance",)


def test_locked_without_nested_applies_to_own_project_only() -> None:
    projects = (
        replace(
            PROJECTS[0],
            content_permissions="LockedToProjectWithoutNested",
            default_workbook_rules=(group_rule("g-fin", Read="Allow"),),
        ),
        *PROJECTS[1:],
    )
    nested = workbook(group_rule("g-all", Read="Allow"))
    assert governing_rules(site(projects=projects), nested)[0] == "item"
    direct = replace(nested, project_id="p-top")
    assert governing_rules(site(projects=projects), direct)[0] == "locked project Public"


def test_hidden_tabs_give_each_view_its_own_rules() -> None:
    views = (
        ServerView(id="v1", name="Summary", rules=(group_rule("g-all", Read="Allow"),)),
        ServerView(id="v2", name="Detail", rules=(group_rule("g-fin", Read="Allow"),)),
    )
    item = workbook(group_rule("g-fin", Read="Allow"), show_tabs=False, views=views)
    access = effective_access(site(), item)
    assert access.capabilities["Read"].all_users is False
    assert access.views["Summary"]["Read"].all_users is True
    assert access.views["Detail"]["Read"].all_users is False
    assert access.open_to_everyone("Read") is True


def test_shown_tabs_ignore_view_rules() -> None:
    views = (ServerView(id="v1", name="Summary", rules=(group_rule("g-all", Read="Allow"),)),)
    item = workbook(group_rule("g-fin", Read="Allow"), show_tabs=True, views=views)
    access = effective_access(site(), item)
    assert access.views == {}
    assert access.open_to_everyone("Read") is False


def test_project_leader_and_owner_are_implicit() -> None:
    projects = (
        replace(PROJECTS[0], rules=(user_rule("u-alice", ProjectLeader="Allow"),)),
        *PROJECTS[1:],
    )
    access = effective_access(site(projects=projects), workbook())
    # No explicit rule at all: only implicit holders, so nobody "plain" holds Read.
    assert access.capabilities["Read"].users_allowed == 0
    assert access.capabilities["Read"].all_users is False


def test_datasource_ceiling_and_api_access() -> None:
    source = ServerItem(
        kind=ArtifactKind.DATASOURCE,
        id="ds",
        name="Permits",
        url="http://x/ds",
        project_id="p-top",
        owner_id="u-carol",
        rules=(group_rule("g-all", Read="Allow", ExportXml="Allow", VizqlDataApiAccess="Allow"),),
    )
    access = effective_access(site(guest_access_enabled=True), source)
    assert access.capabilities["ExportXml"].all_users is False  # only the owner (Creator)
    assert access.capabilities["ExportXml"].guest is True
    assert access.capabilities["VizqlDataApiAccess"].all_users is True  # alice (Explorer)
    assert "ExportXml" not in ceiling("Viewer", ArtifactKind.DATASOURCE)


def test_users_lists_only_those_their_own_rule_really_grants() -> None:
    item = workbook(
        user_rule("u-bob", ViewUnderlyingData="Allow"), user_rule("u-alice", Read="Allow")
    )
    access = effective_access(site(), item)
    assert access.capabilities["ViewUnderlyingData"].users == ()  # bob is a Viewer: ceiling
    assert access.capabilities["Read"].users == ("alice",)


def test_cost_grows_with_user_classes_not_users() -> None:
    many = tuple(
        ServerUser(id=f"u{i}", name=f"user{i}", site_role="Explorer" if i % 2 else "Viewer")
        for i in range(20_000)
    )
    everyone = frozenset(u.id for u in many)
    big = site(users=many, groups=(ServerGroup(id="g-all", name="All Users", member_ids=everyone),))
    index = site_index(big)
    assert len(index.classes) == 2
    item = workbook(group_rule("g-all", Read="Allow", ViewUnderlyingData="Allow"))
    access = effective_access(big, item, index=index)
    assert access.capabilities["Read"].users_allowed == 20_000
    assert access.capabilities["ViewUnderlyingData"].users_allowed == 10_000
