"""TA201–TA206, TA250 and TA302 on hand-built published items: exact sets of flagged places.

The server side of these rules is tested end to end against the REST simulator in
``tests/sources/test_server.py``; here each rule sees one item whose permissions state exactly
one situation, through the real engine (``audit_workbook`` with a site snapshot).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit_workbook
from tableau_audit.findings import ItemReport, PublishedSourceAudit, Severity
from tableau_audit.model import (
    ArtifactKind,
    Column,
    Datasource,
    Extract,
    ExtractColumn,
    ExtractStatus,
    FieldRef,
    GranteeKind,
    PermissionRule,
    PublishedRef,
    ServerConnection,
    ServerGroup,
    ServerItem,
    ServerProject,
    ServerUser,
    ServerView,
    SiteSnapshot,
    Workbook,
    Worksheet,
)
from tests.factories import make_column

URL = "https://tableau.example.org/#/site/demo/workbooks/Permits"

USERS = (
    ServerUser(id="u-admin", name="admin", site_role="SiteAdministratorCreator"),
    ServerUser(id="u-carol", name="carol", site_role="Creator"),
    ServerUser(id="u-alice", name="alice", site_role="Explorer"),
    ServerUser(id="u-bob", name="bob", site_role="Viewer"),
    ServerUser(id="u-guest", name="Guest", site_role="Guest"),
)
MEMBERS = frozenset({"u-admin", "u-carol", "u-alice", "u-bob"})
GROUPS = (
    ServerGroup(id="g-all", name="All Users", member_ids=MEMBERS),
    ServerGroup(id="g-fin", name="Finance", member_ids=frozenset({"u-alice"})),
    ServerGroup(id="g-staff", name="Staff", member_ids=frozenset({"u-carol", "u-alice", "u-bob"})),
)
PROJECTS = (
    ServerProject(id="p-open", name="Open", owner_id="u-admin"),
    ServerProject(
        id="p-public",
        name="Public",
        owner_id="u-admin",
        content_permissions="LockedToProject",
        default_workbook_rules=(
            PermissionRule(
                grantee_kind=GranteeKind.GROUP,
                grantee_id="g-all",
                capabilities=(("Read", "Allow"), ("ViewUnderlyingData", "Allow")),
            ),
        ),
    ),
    ServerProject(id="p-nested", name="Nested", parent_id="p-public", owner_id="u-admin"),
)


def grant(kind: str, grantee: str, **caps: str) -> PermissionRule:
    grantee_kind = GranteeKind.USER if kind == "user" else GranteeKind.GROUP
    return PermissionRule(
        grantee_kind=grantee_kind, grantee_id=grantee, capabilities=tuple(sorted(caps.items()))
    )


def all_users(**caps: str) -> PermissionRule:
    return grant("group", "g-all", **caps)


def site(**overrides: Any) -> SiteSnapshot:
    base = SiteSnapshot(
        site_id="s",
        content_url="demo",
        guest_access_enabled=True,
        users=USERS,
        groups=GROUPS,
        projects=PROJECTS,
    )
    return replace(base, **overrides)


def permits(*, hidden_ssn: bool = False, packaged: bool = True) -> Datasource:
    """Permits: County (used by a sheet), SSN (confidential, unused), both in the extract."""
    columns = (
        Column(name="County", caption="County", remote_name="county", datatype="string"),
        Column(name="SSN", caption="SSN", remote_name="ssn", datatype="string", hidden=hidden_ssn),
    )
    extract = Extract(
        dbname="Data/permits.hyper",
        connection_class="hyper",
        columns=tuple(
            ExtractColumn(local_name=c.name, remote_name=c.remote_name, table="Extract.Extract")
            for c in columns
        ),
        status=ExtractStatus.PACKAGED if packaged else ExtractStatus.NOT_PACKAGED,
    )
    return Datasource(name="federated.1", caption="Permits", columns=columns, extract=extract)


def server_item(**overrides: Any) -> ServerItem:
    values: dict[str, Any] = {
        "kind": ArtifactKind.WORKBOOK,
        "id": "wb-1",
        "name": "Permits",
        "url": URL,
        "project_id": "p-open",
        "project_name": "Open",
        "owner_id": "u-admin",
        "has_extract": True,
    }
    values.update(overrides)
    return ServerItem(**values)


def workbook(server: ServerItem, *datasources: Datasource) -> Workbook:
    sources = datasources or (permits(),)
    sheet = Worksheet(
        name="Map", references=(FieldRef(datasource=sources[0].name, field="County"),)
    )
    return Workbook(
        source=server.url,
        kind=server.kind,
        name=server.name,
        datasources=sources,
        worksheets=(sheet,) if server.kind is ArtifactKind.WORKBOOK else (),
        item_id=server.id,
        server=server,
    )


def audit(
    wb: Workbook,
    *,
    snapshot: SiteSnapshot | None = None,
    published: dict[str, PublishedSourceAudit] | None = None,
) -> ItemReport:
    return audit_workbook(wb, AuditConfig(), site=snapshot or site(), published=published)


def flagged(report: ItemReport, rule_id: str) -> set[tuple[str, ...]]:
    return {f.location.object_path for f in report.findings if f.rule_id == rule_id}


def audit_rules(rules: tuple[PermissionRule, ...], **item: Any) -> ItemReport:
    server = server_item(rules=rules, **item)
    return audit(workbook(server))


# --- TA201 viewable by All Users -----------------------------------------------------------


def test_ta201_fail_all_users_read_on_the_workbook() -> None:
    report = audit_rules((all_users(Read="Allow"),))
    assert flagged(report, "TA201") == {("capability:Read",)}
    assert report.exposure is not None
    assert report.exposure.audiences["view"].all_users


def test_ta201_fail_view_with_own_rules_and_locked_defaults() -> None:
    views = (
        ServerView(id="v1", name="Summary", rules=(all_users(Read="Allow"),)),
        ServerView(id="v2", name="Detail", rules=(grant("group", "g-fin", Read="Allow"),)),
    )
    report = audit_rules((grant("group", "g-fin", Read="Allow"),), show_tabs=False, views=views)
    assert flagged(report, "TA201") == {("view:Summary", "capability:Read")}
    # In a nested project under a LockedToProject parent the parent's defaults govern.
    locked = audit_rules((), project_id="p-nested", project_name="Nested")
    assert flagged(locked, "TA201") == {("capability:Read",)}
    [finding] = [f for f in locked.findings if f.rule_id == "TA201"]
    assert "locked project Public" in finding.message


def test_ta201_pass_group_grant_and_local_files() -> None:
    assert flagged(audit_rules((grant("group", "g-fin", Read="Allow"),)), "TA201") == set()
    local = audit_workbook(replace(workbook(server_item()), server=None), AuditConfig())
    assert {f.rule_id for f in local.findings} & {"TA201", "TA202", "TA203", "TA250"} == set()
    assert local.exposure is None


# --- TA202 reachable without an account ---------------------------------------------------


def test_ta202_fail_guest_user_with_guest_access_on() -> None:
    report = audit_rules((grant("user", "u-guest", Read="Allow"),))
    assert flagged(report, "TA202") == {("capability:Read",)}
    assert flagged(report, "TA201") == set()


def test_ta202_pass_guest_access_off() -> None:
    server = server_item(rules=(grant("user", "u-guest", Read="Allow"),))
    report = audit(workbook(server), snapshot=site(guest_access_enabled=False))
    assert flagged(report, "TA202") == set()


# --- TA203 full data ----------------------------------------------------------------------


def test_ta203_fail_all_users_full_data() -> None:
    report = audit_rules((all_users(Read="Allow", ViewUnderlyingData="Allow"),))
    assert flagged(report, "TA203") == {("capability:ViewUnderlyingData",)}


def test_ta203_pass_viewer_ceiling() -> None:
    """Only Viewers (and admins, who do not count) on the site: nobody downloads full data."""
    viewers = (USERS[0], USERS[3])
    groups = (
        ServerGroup(id="g-all", name="All Users", member_ids=frozenset({"u-admin", "u-bob"})),
    )
    server = server_item(rules=(all_users(Read="Allow", ViewUnderlyingData="Allow"),))
    report = audit(workbook(server), snapshot=site(users=viewers, groups=groups))
    assert flagged(report, "TA203") == set()
    assert flagged(report, "TA201") == {("capability:Read",)}


def test_ta203_pass_deny_overrides_all_users_allow() -> None:
    rules = (
        all_users(Read="Allow", ViewUnderlyingData="Allow"),
        grant("group", "g-staff", ViewUnderlyingData="Deny"),
    )
    report = audit_rules(rules)
    assert flagged(report, "TA203") == set()
    assert flagged(report, "TA250") == set()


# --- TA204 workbook download --------------------------------------------------------------


def test_ta204_fail_download_of_a_workbook_with_extract() -> None:
    report = audit_rules((all_users(Read="Allow", ExportXml="Allow"),))
    assert flagged(report, "TA204") == {("capability:ExportXml",)}


def test_ta204_pass_no_extract() -> None:
    server = server_item(rules=(all_users(Read="Allow", ExportXml="Allow"),), has_extract=False)
    live = replace(permits(), extract=None)
    assert flagged(audit(workbook(server, live)), "TA204") == set()


# --- TA205 summary data -------------------------------------------------------------------


def test_ta205_fail_summary_data_on_workbook_and_view() -> None:
    views = (ServerView(id="v1", name="Summary", rules=(all_users(ExportData="Allow"),)),)
    report = audit_rules((all_users(ExportData="Allow"),), show_tabs=False, views=views)
    assert flagged(report, "TA205") == {
        ("capability:ExportData",),
        ("view:Summary", "capability:ExportData"),
    }


def test_ta205_pass_finance_only() -> None:
    assert flagged(audit_rules((grant("group", "g-fin", ExportData="Allow"),)), "TA205") == set()


# --- TA206 published data source ----------------------------------------------------------


def datasource_item(rules: tuple[PermissionRule, ...]) -> Workbook:
    server = server_item(kind=ArtifactKind.DATASOURCE, id="ds-1", name="Customers", rules=rules)
    return workbook(server)


def test_ta206_fail_download_and_api_access() -> None:
    rules = (all_users(Read="Allow", ExportXml="Allow", VizqlDataApiAccess="Allow"),)
    report = audit(datasource_item(rules))
    assert flagged(report, "TA206") == {
        ("capability:ExportXml",),
        ("capability:VizqlDataApiAccess",),
    }
    assert report.exposure is not None
    assert set(report.exposure.audiences) == {
        "view",
        "connect",
        "download_datasource",
        "api_access",
    }
    # The .tdsx ships its extract and the API serves every row: the SSN is out either way.
    assert flagged(report, "TA250") == {("datasource:Permits", "column:SSN")}
    [finding] = [f for f in report.findings if f.rule_id == "TA250"]
    assert finding.evidence["channels"] == [
        "API Access (VizQL Data Service)",
        "Download Data Source",
    ]


def test_ta206_pass_connect_only() -> None:
    report = audit(datasource_item((all_users(Read="Allow", Connect="Allow"),)))
    assert flagged(report, "TA206") == set()
    assert flagged(report, "TA250") == set()


# --- TA250 confidential data downloadable by everyone -------------------------------------


def test_ta250_fail_full_data_reaches_the_unused_ssn() -> None:
    report = audit_rules((all_users(Read="Allow", ViewUnderlyingData="Allow"),))
    assert flagged(report, "TA250") == {("datasource:Permits", "column:SSN")}
    [finding] = [f for f in report.findings if f.rule_id == "TA250"]
    assert finding.severity is Severity.CRITICAL
    assert finding.evidence["used"] is False
    assert finding.evidence["channels"] == ["Download Full Data"]
    assert finding.evidence["audience"] == ["all_users"]


def test_ta250_fail_guest_download_ships_a_hidden_column() -> None:
    server = server_item(rules=(grant("user", "u-guest", Read="Allow", ExportXml="Allow"),))
    report = audit(workbook(server, permits(hidden_ssn=True)))
    assert flagged(report, "TA250") == {("datasource:Permits", "column:SSN")}
    [finding] = [f for f in report.findings if f.rule_id == "TA250"]
    assert finding.evidence["channels"] == ["Download Workbook"]
    assert finding.evidence["audience"] == ["guest"]


def test_ta250_fail_published_datasource_columns() -> None:
    audit_of = PublishedSourceAudit(
        id="ds-9",
        name="Customers",
        source="https://tableau.example.org/#/site/demo/datasources/Customers",
        confidential=(make_column(datasource="Customers", field="SSN"),),
    )
    proxy = Datasource(
        name="sqlproxy.1",
        caption="Customers",
        columns=(Column(name="SSN", caption="SSN", remote_name="ssn", datatype="string"),),
        published=PublishedRef(name="Customers"),
    )
    server = server_item(
        rules=(all_users(Read="Allow", ViewUnderlyingData="Allow"),),
        has_extract=False,
        connections=(ServerConnection(id="c1", connection_type="sqlproxy", datasource_id="ds-9"),),
    )
    report = audit(workbook(server, proxy), published={"ds-9": audit_of})
    assert flagged(report, "TA250") == {
        ("published-datasource:Customers", "datasource:Customers", "column:SSN")
    }
    assert report.exposure is not None
    assert report.exposure.published_datasources == ("ds-9",)


def test_ta250_pass_group_only_hidden_or_live() -> None:
    finance = (grant("group", "g-fin", Read="Allow", ViewUnderlyingData="Allow"),)
    assert flagged(audit_rules(finance), "TA250") == set()
    # Full data leaves hidden fields out; without a packaged extract the file carries no rows.
    full = (all_users(Read="Allow", ViewUnderlyingData="Allow"),)
    hidden = audit(workbook(server_item(rules=full), permits(hidden_ssn=True)))
    assert flagged(hidden, "TA250") == set()
    download = (all_users(Read="Allow", ExportXml="Allow"),)
    live = audit(workbook(server_item(rules=download), permits(packaged=False)))
    assert flagged(live, "TA250") == set()


# --- TA302 embedded credentials on a server connection ------------------------------------


def embedded(**overrides: Any) -> ServerConnection:
    values: dict[str, Any] = {
        "id": "conn-1",
        "connection_type": "postgres",
        "server_address": "db.example.org",
        "username": "svc_reader",
        "embed_password": True,
        "datasource_name": "Warehouse",
    }
    values.update(overrides)
    return ServerConnection(**values)


def test_ta302_fail_graded_by_audience() -> None:
    private = audit_rules((grant("group", "g-fin", Read="Allow"),), connections=(embedded(),))
    assert flagged(private, "TA302") == {("server-connection:conn-1",)}
    assert {f.severity for f in private.findings if f.rule_id == "TA302"} == {Severity.MEDIUM}
    public = audit_rules((all_users(Read="Allow"),), connections=(embedded(),))
    assert {f.severity for f in public.findings if f.rule_id == "TA302"} == {Severity.HIGH}
    # The database user name is half a credential: it is never reported.
    assert "svc_reader" not in repr(private.findings) + repr(public.findings)


def test_ta302_pass_prompted_or_no_user() -> None:
    conns = (embedded(id="a", embed_password=False), embedded(id="b", username=""))
    assert flagged(audit_rules((all_users(Read="Allow"),), connections=conns), "TA302") == set()
