"""The REST simulator driven by unmodified tableauserverclient 0.42 over real HTTP.

Every test starts its own simulator on 127.0.0.1 (fast: a bind and a thread), so faults
installed by one test never reach another.
"""

from __future__ import annotations

import io
import logging
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
import tableauserverclient as TSC
from tableauserverclient.server.endpoint.exceptions import (
    FailedSignInError,
    InternalServerError,
    ServerResponseError,
)

from fixtures.tableau_server import SimSite, SimulatedServer, encode_jwt, site_from_dict
from tests.fixtures_server.sites import (
    APP_SECRET,
    PASSWORD,
    PAT_SECRET,
    packaged_workbook,
    site_spec,
)


def sign_in(srv: SimulatedServer, *, use_server_version: bool = True) -> TSC.Server:
    """A TSC server signed in with the site's PAT."""
    server = TSC.Server(srv.url, use_server_version=use_server_version)
    server.auth.sign_in(TSC.PersonalAccessTokenAuth("ci-token", PAT_SECRET, site_id="test"))
    return server


def all_workbooks(server: TSC.Server, page_size: int = 100) -> list[TSC.WorkbookItem]:
    return list(TSC.Pager(server.workbooks, TSC.RequestOptions(pagesize=page_size)))


def grants(
    rules: list[TSC.PermissionsRule] | None,
) -> set[tuple[str, str | None, frozenset[tuple[str, str]]]]:
    """PermissionsRule list → comparable set of (grantee tag, grantee id, capabilities)."""
    assert rules is not None
    return {(r.grantee.tag_name, r.grantee.id, frozenset(r.capabilities.items())) for r in rules}


ALL_WORKBOOKS = {
    "Permits",
    "Finance Overview",
    "Team Main",
    "Team Report",
    "Report 1",
    "Report 2",
    "Report 3",
    "Report 4",
}


# --- server basics and sign-in ---------------------------------------------------------------


def test_binds_loopback_only(sim_site: SimSite) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1 only"):
        SimulatedServer(sim_site, host="0.0.0.0")
    with SimulatedServer(sim_site) as srv:
        assert srv.url == f"http://127.0.0.1:{srv.port}"
        assert srv.port > 0


def test_pat_sign_in_and_server_version(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    assert server.version == "3.24"
    assert server.site_id == sim_site.site.id
    assert server.user_id == sim_site.find_id("user", "admin")
    server.workbooks.get()
    paths = [(e.route, e.path.split("/")[2]) for e in srv.log.entries()]
    # TSC 0.42 signs in at the default 2.4, then asks serverInfo, then uses the new version.
    assert paths == [("signin", "2.4"), ("serverInfo", "2.4"), ("workbooks", "3.24")]


def test_password_and_jwt_sign_in(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = TSC.Server(srv.url, use_server_version=True)
    server.auth.sign_in(TSC.TableauAuth("admin", PASSWORD, site_id="test"))
    assert server.user_id == sim_site.find_id("user", "admin")
    jwt = encode_jwt(
        {"iss": "cid", "sub": "alice", "aud": "tableau", "exp": time.time() + 300},
        APP_SECRET,
        kid="kid-1",
    )
    server2 = TSC.Server(srv.url, use_server_version=True)
    server2.auth.sign_in(TSC.JWTAuth(jwt, site_id="test"))
    assert server2.user_id == sim_site.find_id("user", "alice")


@pytest.mark.parametrize(
    "credentials",
    [
        TSC.PersonalAccessTokenAuth("ci-token", "wrong", site_id="test"),
        TSC.PersonalAccessTokenAuth("ci-token", PAT_SECRET, site_id="other-site"),
        TSC.TableauAuth("admin", "wrong", site_id="test"),
        TSC.TableauAuth("alice", "", site_id="test"),  # no password configured
        TSC.TableauAuth("Guest", "", site_id="test"),
        TSC.JWTAuth(encode_jwt({"iss": "cid", "sub": "alice"}, "bad", kid="kid-1"), site_id="test"),
        TSC.JWTAuth(
            encode_jwt({"iss": "x", "sub": "alice"}, APP_SECRET, kid="kid-1"), site_id="test"
        ),
        TSC.JWTAuth(
            encode_jwt({"iss": "cid", "sub": "alice", "exp": 1}, APP_SECRET, kid="kid-1"),
            site_id="test",
        ),
    ],
    ids=["pat-secret", "site", "password", "no-password", "guest", "jwt-sig", "jwt-iss", "jwt-exp"],
)
def test_sign_in_failure(srv: SimulatedServer, credentials: Any) -> None:
    server = TSC.Server(srv.url)
    with pytest.raises(FailedSignInError) as info:
        server.auth.sign_in(credentials)
    assert info.value.code == "401001"


def test_tokens_random_and_sign_out_invalidates(srv: SimulatedServer) -> None:
    first, second = sign_in(srv), sign_in(srv)
    assert first.auth_token != second.auth_token
    old_token = first.auth_token
    first.auth.sign_out()
    url = f"{srv.url}/api/3.24/sites/{second.site_id}/workbooks"
    assert requests.get(url, headers={"X-Tableau-Auth": old_token}, timeout=5).status_code == 401
    assert requests.get(url, headers={"X-Tableau-Auth": second.auth_token}, timeout=5).ok
    assert requests.get(url, timeout=5).status_code == 401


def test_unknown_token_is_401002(srv: SimulatedServer, sim_site: SimSite) -> None:
    url = f"{srv.url}/api/3.4/sites/{sim_site.site.id}/projects"
    answer = requests.get(url, headers={"x-tableau-auth": "forged"}, timeout=5)
    assert answer.status_code == 401
    assert 'code="401002"' in answer.text
    assert 'xmlns="http://tableau.com/api"' in answer.text


def test_site_guest_access() -> None:
    for enabled in (True, False):
        with SimulatedServer(site_from_dict(site_spec(guestAccessEnabled=enabled))) as srv:
            server = sign_in(srv)
            site = server.sites.get_by_id(server.site_id)
            assert (site.name, site.content_url) == ("Test Site", "test")
            assert site.guest_access_enabled is enabled


# --- lists, paging, filters ----------------------------------------------------------------


def test_pager_over_three_pages(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    names = [str(wb.name) for wb in all_workbooks(server, page_size=3)]
    assert sorted(names) == sorted(ALL_WORKBOOKS)
    assert len(names) == 8
    pages = [e.params for e in srv.log.entries() if e.route == "workbooks"]
    assert [(p["pageNumber"], p["pageSize"]) for p in pages] == [("1", "3"), ("2", "3"), ("3", "3")]


def test_page_past_the_end_is_400006(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    url = f"{srv.url}/api/3.24/sites/{server.site_id}/workbooks?pageNumber=4&pageSize=3"
    answer = requests.get(url, headers={"X-Tableau-Auth": server.auth_token}, timeout=5)
    assert answer.status_code == 400
    assert 'code="400006"' in answer.text


def test_filters(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    assert {w.name for w in server.workbooks.filter(name="Permits")} == {"Permits"}
    assert {w.name for w in server.workbooks.filter(project_name="Team")} == {"Team Main"}
    newer = server.workbooks.filter(updated_at__gt="2024-04-01T00:00:00Z")
    assert {w.name for w in newer} == {"Permits", "Finance Overview"}
    same = server.workbooks.filter(updated_at__gte="2024-04-01T00:00:00Z")
    assert {w.name for w in same} == {"Permits", "Finance Overview", "Report 4"}
    public_id = sim_site.find_id("project", "Public")
    children = server.projects.filter(parent_project_id=public_id)
    assert {p.name for p in children} == {"Nested"}
    assert {g.name for g in server.groups.filter(name="All Users")} == {"All Users"}


def test_workbook_attributes(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    wb = server.workbooks.get_by_id(sim_site.find_id("workbook", "Finance Overview"))
    assert (wb.name, wb.project_name, wb.show_tabs, wb.size) == (
        "Finance Overview",
        "Open",
        False,
        1,
    )
    assert wb.updated_at is not None
    assert wb.updated_at.isoformat() == "2024-05-15T12:30:00+00:00"
    assert wb.owner_id == sim_site.find_id("user", "admin")
    assert {v.name for v in wb.views} == {"Summary", "Detail"}  # inlined by get_by_id


# --- 429, 401002, 403, 5xx -------------------------------------------------------------------


def test_429_on_page_2_raises_through_pager(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    fault = srv.faults.rate_limit(route="workbooks", query={"pageNumber": "2"}, retry_after=7)
    with pytest.raises(ServerResponseError) as info:
        all_workbooks(server, page_size=3)
    assert info.value.code == "429000"
    assert fault.fired == 1
    # The fault fired once: the next walk sees every workbook.
    assert {w.name for w in all_workbooks(server, page_size=3)} == ALL_WORKBOOKS


def test_429_on_page_2_silently_truncates_all(srv: SimulatedServer) -> None:
    """Why the auditor must use Pager: QuerySet (.all()) swallows the 429 and stops."""
    server = sign_in(srv)
    fault = srv.faults.rate_limit(route="workbooks", query={"pageNumber": "2"})
    names = [w.name for w in server.workbooks.all(page_size=3)]
    assert fault.fired == 1
    assert names == [w.name for w in srv.site.workbooks[:3]]


def test_429_carries_retry_after(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    srv.faults.rate_limit(route="workbooks", retry_after=11)
    url = f"{srv.url}/api/3.24/sites/{server.site_id}/workbooks"
    answer = requests.get(url, headers={"X-Tableau-Auth": server.auth_token}, timeout=5)
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "11")
    assert 'code="429000"' in answer.text
    assert srv.log.count("workbooks", status=429) == 1


def test_token_expiry_mid_run(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    fault = srv.faults.expire_tokens(at_request=2)
    first_page, _ = server.workbooks.get(TSC.RequestOptions(pagesize=3))
    assert len(first_page) == 3
    with pytest.raises(FailedSignInError) as info:
        server.workbooks.get(TSC.RequestOptions(pagenumber=2, pagesize=3))
    assert info.value.code == "401002"
    with pytest.raises(FailedSignInError):  # the expired token stays dead
        server.projects.get()
    server = sign_in(srv)  # re-sign-in resumes
    assert len(server.workbooks.get(TSC.RequestOptions(pagenumber=2, pagesize=3))[0]) == 3
    assert fault.fired == 1


def test_token_expiry_after_n_requests(srv: SimulatedServer) -> None:
    srv.faults.expire_tokens(after_requests=2)
    server = sign_in(srv)
    server.projects.get()
    server.groups.get()
    with pytest.raises(FailedSignInError):
        server.users.get()
    server = sign_in(srv)  # every new token gets the same budget
    server.projects.get()


def test_403_on_one_workbooks_permissions(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    fault = srv.faults.forbid(route="workbook.permissions", item="Team Main")
    readable = set()
    for wb in all_workbooks(server):
        server.workbooks.populate_permissions(wb)
        if wb.name == "Team Main":
            with pytest.raises(ServerResponseError) as info:
                wb.permissions  # noqa: B018 - the property performs the request
            assert info.value.code == "403000"
        else:
            wb.permissions  # noqa: B018
            readable.add(wb.name)
    assert readable == ALL_WORKBOOKS - {"Team Main"}
    assert fault.fired == 1
    assert srv.log.count("workbook.permissions", status=403) == 1
    assert srv.log.count("workbook.permissions", status=200) == 7


def test_5xx_on_a_download_once(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    wb_id = sim_site.find_id("workbook", "Permits")
    fault = srv.faults.server_error(route="workbook.content", item="Permits", status=503)
    with pytest.raises(InternalServerError) as info:
        server.workbooks.download(wb_id, io.BytesIO())
    assert info.value.code == 503
    target = io.BytesIO()
    server.workbooks.download(wb_id, target)
    assert target.getvalue() == packaged_workbook()
    assert fault.fired == 1
    assert srv.log.count("workbook.content") == 2


def test_latency(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    srv.faults.latency(0.05, route="projects")
    start = time.perf_counter()
    server.projects.get()
    server.projects.get()
    assert time.perf_counter() - start >= 0.1


# --- permissions -----------------------------------------------------------------------------


def test_workbook_and_view_permissions(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    gid, uid = sim_site.find_id, sim_site.find_id
    wb = server.workbooks.get_by_id(sim_site.find_id("workbook", "Finance Overview"))
    server.workbooks.populate_permissions(wb)
    assert grants(wb.permissions) == {
        ("group", gid("group", "Finance"), frozenset({("Read", "Allow"), ("ExportData", "Allow")})),
        ("user", uid("user", "bob"), frozenset({("ViewUnderlyingData", "Deny")})),
    }
    server.workbooks.populate_views(wb)
    view_rules = {}
    for view in wb.views:
        server.views.populate_permissions(view)
        view_rules[view.name] = grants(view.permissions)
    all_users = gid("group", "All Users")
    assert view_rules == {
        "Summary": {("group", all_users, frozenset({("Read", "Allow")}))},  # own rules
        "Detail": grants(wb.permissions),  # none declared: same as the workbook
    }


def test_locked_project_defaults_govern(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    served = {}
    for name in ("Permits", "Team Main", "Team Report", "Report 1"):
        wb = server.workbooks.get_by_id(sim_site.find_id("workbook", name))
        server.workbooks.populate_permissions(wb)
        served[name] = grants(wb.permissions)
    all_users, guest = sim_site.find_id("group", "All Users"), sim_site.find_id("user", "Guest")
    finance, alice = sim_site.find_id("group", "Finance"), sim_site.find_id("user", "alice")
    assert served == {
        # Nested under LockedToProject "Public": Public's defaults.
        "Permits": {
            ("group", all_users, frozenset({("Read", "Allow"), ("ViewUnderlyingData", "Allow")})),
            ("user", guest, frozenset({("Read", "Allow")})),
        },
        # In LockedToProjectWithoutNested "Team": Team's defaults.
        "Team Main": {("group", finance, frozenset({("Read", "Allow")}))},
        # Child of a WithoutNested lock: its own (managed) project's defaults.
        "Team Report": {("user", alice, frozenset({("Read", "Allow")}))},
        # Managed project without defaults, no rules declared.
        "Report 1": set(),
    }


def test_project_and_default_permissions(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    projects = {p.name: p for p in TSC.Pager(server.projects)}
    assert {(n, p.content_permissions) for n, p in projects.items()} == {
        ("Public", "LockedToProject"),
        ("Nested", "ManagedByOwner"),
        ("Team", "LockedToProjectWithoutNested"),
        ("Team Child", "ManagedByOwner"),
        ("Open", "ManagedByOwner"),
    }
    assert projects["Nested"].parent_id == projects["Public"].id
    public = projects["Public"]
    server.projects.populate_permissions(public)
    server.projects.populate_workbook_default_permissions(public)
    server.projects.populate_datasource_default_permissions(public)
    all_users = sim_site.find_id("group", "All Users")
    assert grants(public.permissions) == {("group", all_users, frozenset({("Read", "Allow")}))}
    assert grants(public.default_workbook_permissions) == {
        ("group", all_users, frozenset({("Read", "Allow"), ("ViewUnderlyingData", "Allow")})),
        ("user", sim_site.find_id("user", "Guest"), frozenset({("Read", "Allow")})),
    }
    assert grants(public.default_datasource_permissions) == {
        ("group", all_users, frozenset({("Connect", "Allow")}))
    }


def test_datasource_permissions_and_connections(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    (ds,) = list(TSC.Pager(server.datasources))
    assert (ds.name, ds.project_name, ds.datasource_type) == ("Ledger", "Open", "hyper")
    server.datasources.populate_permissions(ds)
    assert grants(ds.permissions) == {
        (
            "group",
            sim_site.find_id("group", "All Users"),
            frozenset({("Read", "Allow"), ("ExportXml", "Allow")}),
        ),
        ("user", sim_site.find_id("user", "bob"), frozenset({("ExportXml", "Deny")})),
    }
    server.datasources.populate_connections(ds)
    assert [
        (c.connection_type, c.server_address, c.server_port, c.username, c.embed_password)
        for c in ds.connections
    ] == [("postgres", "db.example.org", "5432", "svc_ledger", True)]


def test_workbook_connections(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    wb = server.workbooks.get_by_id(sim_site.find_id("workbook", "Finance Overview"))
    server.workbooks.populate_connections(wb)
    got = {
        (c.connection_type, c.server_address, c.username, c.embed_password, c.datasource_name)
        for c in wb.connections
    }
    assert got == {
        ("sqlserver", "sql.example.org", "reader", True, "Budget"),
        ("sqlproxy", "", "", False, "Ledger"),
    }
    published = next(c for c in wb.connections if c.connection_type == "sqlproxy")
    assert published.datasource_id == sim_site.find_id("datasource", "Ledger")


# --- users and groups ----------------------------------------------------------------------


def test_users_with_site_roles(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    assert {(u.name, u.site_role) for u in TSC.Pager(server.users)} == {
        ("admin", "SiteAdministratorCreator"),
        ("alice", "Creator"),
        ("bob", "Viewer"),
        ("Guest", "Guest"),
    }


@pytest.mark.parametrize("guest_in_all_users", [True, False])
def test_groups_and_members(guest_in_all_users: bool) -> None:
    site = site_from_dict(site_spec(guestInAllUsers=guest_in_all_users))
    with SimulatedServer(site) as srv:
        server = sign_in(srv)
        members = {}
        for group in TSC.Pager(server.groups, TSC.RequestOptions(pagesize=1)):
            server.groups.populate_users(group, TSC.RequestOptions(pagesize=2))
            members[group.name] = {u.name for u in group.users}
    everyone = {"admin", "alice", "bob"} | ({"Guest"} if guest_in_all_users else set())
    assert members == {"All Users": everyone, "Finance": {"alice", "bob"}}


def test_user_groups(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    user = server.users.get_by_id(sim_site.find_id("user", "bob"))
    server.users.populate_groups(user)
    assert {g.name for g in user.groups} == {"All Users", "Finance"}


# --- downloads -------------------------------------------------------------------------------


def test_download_writes_the_bytes(srv: SimulatedServer, sim_site: SimSite, tmp_path: Path) -> None:
    server = sign_in(srv)
    path = Path(server.workbooks.download(sim_site.find_id("workbook", "Permits"), str(tmp_path)))
    assert path.name == "Permits.twbx"  # from Content-Disposition
    assert path.read_bytes() == packaged_workbook()
    ds_path = Path(
        server.datasources.download(sim_site.find_id("datasource", "Ledger"), str(tmp_path))
    )
    assert (ds_path.name, ds_path.read_bytes()) == ("Ledger.tds", b"<datasource/>")
    assert srv.log.counts()["workbook.content"] == 1
    assert srv.log.counts()["datasource.content"] == 1


def test_download_without_extract(srv: SimulatedServer, sim_site: SimSite) -> None:
    server = sign_in(srv)
    target = io.BytesIO()
    server.workbooks.download(
        sim_site.find_id("workbook", "Permits"), target, include_extract=False
    )
    with zipfile.ZipFile(io.BytesIO(target.getvalue())) as zf:
        assert zf.namelist() == ["Permits.twb"]
    (entry,) = [e for e in srv.log.entries() if e.route == "workbook.content"]
    assert entry.params == {"includeExtract": "False"}


# --- the request log never holds secrets ---------------------------------------------------


def test_no_secret_in_log(srv: SimulatedServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="fixtures")
    server = sign_in(srv)
    TSC.Server(srv.url).auth.sign_in(TSC.TableauAuth("admin", PASSWORD, site_id="test"))
    server.workbooks.get()
    with pytest.raises(FailedSignInError):
        TSC.Server(srv.url).auth.sign_in(TSC.TableauAuth("admin", "wrong-pw-ZZ", site_id="test"))
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("fixtures.")]
    assert len(ours) == srv.log.count()  # one DEBUG line per request
    recorded = repr(srv.log.entries()) + "\n".join(ours)
    for secret in (PAT_SECRET, PASSWORD, "wrong-pw-ZZ", server.auth_token):
        assert secret not in recorded
    assert srv.log.count("signin") == 3
