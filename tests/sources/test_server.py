"""``sources/server.py`` + ``engine_server.audit_server`` against the REST simulator (TSC 0.42).

Each test starts its own simulator on 127.0.0.1, so faults never leak between tests. The site
(``tests/sources/server_site.py``) has one item per acceptance situation of issue 4; the
assertions are exact sets of (item, rule, place) and exact request counts from the simulator's
log, so a lost page, a second read of a lazy property or a missing retry shows up.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.tableau_server import SimulatedServer, encode_jwt, site_from_dict
from tableau_audit.config import AuditConfig
from tableau_audit.engine_server import audit_server
from tableau_audit.errors import AuthenticationError, SourceError
from tableau_audit.findings import AuditResult, ItemReport
from tableau_audit.sources.retry import RetryPolicy
from tableau_audit.sources.server import Credentials, ServerSettings, ServerSource
from tests.sources.server_site import (
    ALL_WORKBOOKS,
    APP_SECRET,
    PASSWORD,
    PAT_NAME,
    PAT_SECRET,
    site_spec,
)

FAST = RetryPolicy(retries=3, backoff_factor=0.0, max_retry_after=2.0)
SHARING_RULES = ("TA201", "TA202", "TA203", "TA204", "TA205", "TA206", "TA250", "TA302")


@pytest.fixture
def srv() -> Iterator[SimulatedServer]:
    with SimulatedServer(site_from_dict(site_spec())) as server:
        yield server


def settings(srv: SimulatedServer, **overrides: Any) -> ServerSettings:
    values: dict[str, Any] = {
        "url": srv.url,
        "site": "test",
        "credentials": Credentials(method="pat", name=PAT_NAME, secret=PAT_SECRET),
        "concurrency": 3,
        "retry": FAST,
    }
    values.update(overrides)
    return ServerSettings(**values)


def run(srv: SimulatedServer, **overrides: Any) -> AuditResult:
    with ServerSource(settings(srv, **overrides)) as source:
        return audit_server(source, AuditConfig())


def by_name(result: AuditResult) -> dict[str, ItemReport]:
    return {item.name: item for item in result.items}


def sharing(result: AuditResult) -> set[tuple[str, str, tuple[str, ...]]]:
    """(item, rule, place) of every sharing and server-credential finding, ids dropped."""
    found = set()
    for item in result.items:
        for f in item.findings:
            if f.rule_id in SHARING_RULES:
                path = tuple(
                    "server-connection" if p.startswith("server-connection:") else p
                    for p in f.location.object_path
                )
                found.add((item.name, f.rule_id, path))
    return found


EXPECTED = {
    ("Permits", "TA201", ("capability:Read",)),
    ("Permits", "TA202", ("capability:Read",)),
    ("Permits", "TA203", ("capability:ViewUnderlyingData",)),
    ("Permits", "TA250", ("datasource:Customers", "column:Customer SSN")),
    ("Permits", "TA250", ("datasource:Customers", "column:Email")),
    ("Finance Overview", "TA201", ("view:Summary", "capability:Read")),
    ("Finance Overview", "TA203", ("view:Summary", "capability:ViewUnderlyingData")),
    (
        "Finance Overview",
        "TA250",
        ("published-datasource:Ledger", "datasource:Customer Contacts", "column:Email Address"),
    ),
    (
        "Finance Overview",
        "TA250",
        ("published-datasource:Ledger", "datasource:Customer Contacts", "column:mobile_phone"),
    ),
    ("Finance Overview", "TA302", ("server-connection",)),
    ("Open Secrets", "TA201", ("capability:Read",)),
    ("Ledger", "TA201", ("capability:Read",)),
    ("Ledger", "TA302", ("server-connection",)),
}


def test_full_site_exact_findings_and_requests(srv: SimulatedServer) -> None:
    result = run(srv)
    assert result.complete
    assert result.skipped == ()
    assert set(by_name(result)) == ALL_WORKBOOKS | {"Ledger"}
    assert sharing(result) == EXPECTED
    log = srv.log
    # Lazy properties are read once: one request per item and property, none for locked items.
    assert log.count("workbook.connections") == len(ALL_WORKBOOKS)
    assert log.count("workbook.content") == len(ALL_WORKBOOKS)
    assert log.count("workbook.permissions") == len(ALL_WORKBOOKS) - 2  # Permits, Team Main
    assert log.count("view.permissions") == 2  # Finance Overview hides its tabs
    assert (log.count("views"), log.count("signin"), log.count("signout")) == (1, 1, 1)
    ledger = by_name(result)["Ledger"]
    assert ledger.source == f"{srv.url}/#/site/test/datasources/Ledger"
    assert (ledger.project, ledger.kind.value) == ("Open", "datasource")


def test_nested_locked_projects_govern(srv: SimulatedServer) -> None:
    items = by_name(run(srv))
    governed = {name: item.exposure.governed_by for name, item in items.items() if item.exposure}
    assert governed["Permits"] == "locked project Public"  # LockedToProject on an ancestor
    assert governed["Team Main"] == "locked project Team"  # ...WithoutNested on the parent
    assert governed["Team Report"] == "item"  # ...WithoutNested does not reach nested ones
    assert items["Team Main"].exposure is not None
    assert items["Team Main"].exposure.audiences["view"].groups == ("Finance",)


def test_show_tabs_false_view_grants(srv: SimulatedServer) -> None:
    exposure = by_name(run(srv))["Finance Overview"].exposure
    assert exposure is not None
    assert exposure.views_with_own_rules == ("Detail", "Summary")
    assert exposure.audiences["view"].all_users  # through view Summary only
    assert exposure.audiences["download_full_data"].all_users


def test_published_datasource_linked(srv: SimulatedServer) -> None:
    items = by_name(run(srv))
    ledger_id = items["Ledger"].item_id
    exposure = items["Finance Overview"].exposure
    assert exposure is not None
    assert ledger_id is not None
    assert exposure.published_datasources == (ledger_id,)
    evidence = [f.evidence for f in items["Finance Overview"].findings if f.rule_id == "TA250"]
    assert {e["published_datasource"] for e in evidence} == {ledger_id}


def test_deny_overrides_all_users_allow_and_viewer_ceiling(srv: SimulatedServer) -> None:
    items = by_name(run(srv))
    secrets = items["Open Secrets"].exposure
    board = items["Board Pack"].exposure
    assert secrets is not None
    assert board is not None
    assert not secrets.audiences["download_full_data"].all_users  # Staff Deny beats the Allow
    assert secrets.audiences["view"].all_users
    # Board holds only the Viewer bob: he may view, never download full data.
    assert board.audiences["view"].groups == ("Board",)
    assert board.audiences["download_full_data"].groups == ()
    assert board.audiences["download_full_data"].users_allowed == 0


@pytest.mark.parametrize("enabled", [True, False])
def test_guest_access_on_and_off(enabled: bool) -> None:
    with SimulatedServer(site_from_dict(site_spec(guestAccessEnabled=enabled))) as srv:
        items = by_name(run(srv))
    exposure = items["Permits"].exposure
    assert exposure is not None
    assert exposure.audiences["view"].guest is enabled
    rules = {f.rule_id for f in items["Permits"].findings}
    assert ("TA202" in rules) is enabled


def test_pagination_over_three_pages(srv: SimulatedServer) -> None:
    result = run(srv, page_size=4)
    assert {item.name for item in result.items} == ALL_WORKBOOKS | {"Ledger"}
    pages = [e.params.get("pageNumber") for e in srv.log.entries() if e.route == "workbooks"]
    assert pages == ["1", "2", "3"]


def test_429_on_a_later_page_loses_nothing(srv: SimulatedServer) -> None:
    fault = srv.faults.rate_limit(route="workbooks", query={"pageNumber": "3"}, retry_after=1)
    result = run(srv, page_size=4)
    assert fault.fired == 1
    assert {item.name for item in result.items} == ALL_WORKBOOKS | {"Ledger"}
    assert srv.log.count("workbooks", status=429) == 1
    assert result.complete


def test_token_expiry_mid_run_signs_in_again(srv: SimulatedServer) -> None:
    with ServerSource(settings(srv)) as source:
        source.snapshot()  # the listing is done; expire the token among the per-item calls
        fault = srv.faults.expire_tokens(at_request=5)
        result = audit_server(source, AuditConfig())
    assert fault.fired == 1
    assert srv.log.count("signin") == 2
    assert result.complete
    assert result.skipped == ()
    assert sharing(result) == EXPECTED


def test_token_expiry_mid_pagination_resumes(srv: SimulatedServer) -> None:
    fault = srv.faults.fail(status=401, code="401002", route="workbooks", query={"pageNumber": "2"})
    result = run(srv, page_size=4)
    assert fault.fired == 1
    assert srv.log.count("signin") == 2
    assert {item.name for item in result.items} == ALL_WORKBOOKS | {"Ledger"}
    pages = [e.params.get("pageNumber") for e in srv.log.entries() if e.route == "workbooks"]
    assert pages == ["1", "2", "2", "3"]  # resumed at the page that failed, not from the start


def test_403_on_one_workbook_is_isolated(srv: SimulatedServer) -> None:
    srv.faults.forbid(route="workbook.permissions", item="Report 2")
    result = run(srv)
    assert not result.complete
    assert {item.name for item in result.items} == (ALL_WORKBOOKS - {"Report 2"}) | {"Ledger"}
    [skip] = result.skipped
    assert skip.source == f"{srv.url}/#/site/test/workbooks/Report2"
    assert "403000" in skip.reason
    assert "permissions" in skip.reason
    assert skip.finding.rule_id == "TA901"


def test_5xx_on_one_download(srv: SimulatedServer) -> None:
    broken = srv.faults.server_error(
        route="workbook.content", item="Report 3", status=503, times=None
    )
    flaky = srv.faults.server_error(route="workbook.content", item="Report 4", status=502, times=2)
    result = run(srv)
    assert (flaky.fired, broken.fired) == (2, 1 + FAST.retries)
    assert {s.source.rsplit("/", 1)[-1] for s in result.skipped} == {"Report3"}
    assert "HTTP 503" in result.skipped[0].reason
    assert "Report 4" in {item.name for item in result.items}
    assert not result.complete


def test_a_failed_download_logs_no_response_text(
    srv: SimulatedServer, caplog: pytest.LogCaptureFixture
) -> None:
    # TSC puts the server's error detail (a response body) in its exception text.
    planted = "qz7DETAIL-4c1e-planted"
    srv.faults.fail(
        status=400, code="400000", detail=planted, route="workbook.content", item="Report 3"
    )
    caplog.set_level(logging.DEBUG)  # TSC's and urllib3's records too
    caplog.set_level(logging.DEBUG, logger="tableau_audit")  # whatever a CLI test left
    result = run(srv)
    (skip,) = result.skipped
    assert "cannot read its content" in skip.reason
    assert "cannot read its content" in caplog.text  # the failure was logged, with its frames
    assert planted not in caplog.text
    assert planted not in skip.reason


def test_project_filter_includes_nested(srv: SimulatedServer) -> None:
    def names(*projects: str) -> set[str]:
        return {item.name for item in run(srv, projects=projects).items}

    assert names("Public") == {"Permits"}  # Permits sits in Public/Nested
    assert names("Team") == {"Team Main", "Team Report"}
    assert names("Team/Team Child") == {"Team Report"}  # a path picks one place
    assert names("Public/*", "Team C*") == {"Permits", "Team Report"}  # globs
    with pytest.raises(SourceError, match="no project named 'Nope'"):
        run(srv, projects=("Nope",))


def test_no_datasources(srv: SimulatedServer) -> None:
    result = run(srv, include_datasources=False)
    assert {item.name for item in result.items} == ALL_WORKBOOKS
    assert srv.log.count("datasources") == 0
    # Without the data source's audit the workbook's own proxy columns are all there is...
    finance = by_name(result)["Finance Overview"]
    assert not any(f.rule_id == "TA250" for f in finance.findings)
    # ...but the link to the published data source still shows.
    assert finance.exposure is not None
    assert finance.exposure.published_datasources == (srv.site.find_id("datasource", "Ledger"),)


def test_password_and_connected_app_sign_in(srv: SimulatedServer) -> None:
    password = Credentials(method="password", name="admin", secret=PASSWORD)
    assert len(run(srv, credentials=password, projects=("Public",)).items) == 1
    token = encode_jwt({"sub": "admin", "iss": "cid"}, APP_SECRET, kid="kid-1")
    jwt = Credentials(method="jwt", secret=token)
    assert len(run(srv, credentials=jwt, projects=("Public",)).items) == 1


def test_refused_sign_in_names_no_secret(srv: SimulatedServer) -> None:
    wrong = Credentials(method="pat", name=PAT_NAME, secret="wrong-" + PAT_SECRET)
    with pytest.raises(AuthenticationError) as caught:
        run(srv, credentials=wrong)
    assert "401001" in str(caught.value)
    assert PAT_SECRET not in str(caught.value)
    assert PAT_SECRET not in repr(wrong)


def test_downloads_live_in_a_private_dir_that_is_removed(
    srv: SimulatedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen: list[tuple[int, bool]] = []
    with ServerSource(settings(srv)) as source:
        for fetched in source.items():
            content = getattr(fetched, "content", None)
            if content is not None:
                seen.append((content.parent.stat().st_mode & 0o777, content.is_file()))
    assert seen
    assert all(mode == 0o700 and exists for mode, exists in seen)
    assert list(tmp_path.iterdir()) == []


def test_request_budget_on_a_generated_site() -> None:
    """The benchmark's site at 20 workbooks: exactly the calls the plan needs, none twice."""
    from benchmarks.server_speed import TOKEN_NAME, TOKEN_SECRET, site_spec

    spec = site_spec(20, projects=4)  # Project 00 (locked) .. 03, each with a nested child
    locked = {"Project 00", "Project 00 child"}  # LockedToProject reaches the child
    books = spec["workbooks"]
    unlocked = [b for b in books if b["project"] not in locked]
    hidden_tabs = [b for b in unlocked if b.get("showTabs") is False]
    assert (len(books), len(unlocked), len(hidden_tabs)) == (20, 14, 2)
    credentials = Credentials(method="pat", name=TOKEN_NAME, secret=TOKEN_SECRET)
    with SimulatedServer(site_from_dict(spec)) as srv:
        with ServerSource(settings(srv, site="bench", credentials=credentials)) as source:
            result = audit_server(source, AuditConfig())
        counts = srv.log.counts()
    assert result.complete
    assert len(result.items) == 21
    once = ("signin", "serverInfo", "site", "users", "groups", "projects", "workbooks")
    assert counts == {
        **dict.fromkeys((*once, "datasources", "views", "signout"), 1),
        "group.users": 6,  # 5 teams and All Users
        "project.permissions": 8,  # every project holds content
        "project.default_permissions": 2,  # workbooks and data sources of the locked one
        "workbook.permissions": len(unlocked),
        "workbook.connections": 20,
        "workbook.content": 20,
        "view.permissions": 2 * len(hidden_tabs),
        "datasource.connections": 1,  # Source 000 sits in the locked project: no permissions
        "datasource.content": 1,
    }


def test_progress_reports_every_item_in_order(srv: SimulatedServer) -> None:
    calls: list[tuple[int, int]] = []
    with ServerSource(settings(srv), progress=lambda done, total: calls.append((done, total))) as s:
        audit_server(s, AuditConfig())
    total = len(ALL_WORKBOOKS) + 1
    assert calls == [(n, total) for n in range(1, total + 1)]
