"""Site descriptions (validation, the demo site), the CLI, concurrency and the less used routes."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
import tableauserverclient as TSC
from tableauserverclient.server.endpoint.exceptions import InternalServerError

from fixtures.tableau_server import (
    SimSite,
    SimulatedServer,
    SiteDescriptionError,
    load_site,
    site_from_dict,
)
from tests.fixtures_server.sites import PAT_SECRET, site_spec

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "sites" / "demo.toml"


def sign_in(srv: SimulatedServer) -> TSC.Server:
    server = TSC.Server(srv.url, use_server_version=True)
    server.auth.sign_in(TSC.PersonalAccessTokenAuth("ci-token", PAT_SECRET, site_id="test"))
    return server


def _minimal(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "users": [{"name": "admin", "siteRole": "SiteAdministratorCreator"}],
        "projects": [{"name": "P"}],
        "workbooks": [{"name": "W", "project": "P"}],
    }
    spec.update(overrides)
    return spec


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"extra": 1}, "unknown key"),
        ({"users": [{"name": "u", "siteRole": "PublisherInteractor"}]}, "siteRole"),
        ({"users": []}, "at least one user"),
        ({"site": {"contentUrl": "bad url"}}, "contentUrl"),
        ({"site": {"restApiVersion": "3.2"}}, "restApiVersion"),
        ({"projects": [{"name": "P", "contentPermissions": "Locked"}]}, "contentPermissions"),
        ({"projects": [{"name": "P", "parent": "Q"}]}, "unknown parent"),
        (
            {"projects": [{"name": "P", "parent": "Q"}, {"name": "Q", "parent": "P"}]},
            "cycle",
        ),
        ({"workbooks": [{"name": "W", "project": "Nope"}]}, "unknown reference"),
        ({"workbooks": [{"name": "W", "project": "P", "showTab": False}]}, "showTab"),
        (
            {
                "workbooks": [
                    {"name": "W", "project": "P", "views": [{"name": "V", "permissions": []}]}
                ]
            },
            "showTabs = false",
        ),
        (
            {
                "workbooks": [
                    {
                        "name": "W",
                        "project": "P",
                        "permissions": [{"group": "Nobody", "capabilities": {"Read": "Allow"}}],
                    }
                ]
            },
            "unknown group",
        ),
        (
            {
                "workbooks": [
                    {
                        "name": "W",
                        "project": "P",
                        "permissions": [{"group": "All Users", "capabilities": {"Read": "Yes"}}],
                    }
                ]
            },
            "bad capability",
        ),
        ({"groups": [{"name": "All Users", "members": ["admin"]}]}, "computed"),
        ({"workbooks": [{"name": "W", "project": "P"}, {"name": "W", "project": "P"}]}, "unique"),
        (
            {
                "workbooks": [
                    {"name": "W", "project": "P", "connections": [{"publishedDatasource": "X"}]}
                ]
            },
            "published data source",
        ),
        ({"tokens": [{"name": "t", "secret": "s", "user": "ghost"}]}, "unknown reference"),
    ],
)
def test_invalid_descriptions(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(SiteDescriptionError, match=message):
        site_from_dict(_minimal(**overrides))


def test_secrets_not_in_repr() -> None:
    site = site_from_dict(site_spec())
    assert PAT_SECRET not in repr(site)
    assert "app-secret" not in repr(site.connected_app)


def test_find_id(sim_site: SimSite) -> None:
    wb_id = sim_site.find_id("workbook", "Permits")
    assert sim_site.find_id("workbook", wb_id) == wb_id
    assert sim_site.workbooks_by_id[wb_id].name == "Permits"
    map_id = sim_site.find_id("view", "Permits/Map")
    assert sim_site.views_by_id[map_id].name == "Map"
    with pytest.raises(KeyError, match="no workbook"):
        sim_site.find_id("workbook", "Missing")


def test_demo_site_loads_and_names_generated_samples() -> None:
    from fixtures.generate import SAMPLES

    site = load_site(DEMO)
    assert site.site.guest_access_enabled is True
    contents = [i.content for i in site.workbooks] + [i.content for i in site.datasources]
    referenced = {c.path.name for c in contents if c.path is not None}
    assert referenced <= {s.filename for s in SAMPLES}
    assert "doj_permits.twbx" in referenced
    assert {g.name for g in site.groups} == {"All Users", "Finance", "HR", "Public Web"}


def test_toml_round_trip(tmp_path: Path) -> None:
    (tmp_path / "wb.twb").write_bytes(b"<workbook/>")
    desc = tmp_path / "site.toml"
    desc.write_text(
        '[site]\nname = "T"\ncontentUrl = "t"\n'
        '[[users]]\nname = "a"\nsiteRole = "Creator"\n'
        '[[projects]]\nname = "P"\n'
        '[[workbooks]]\nname = "W"\nproject = "P"\ncontent = "wb.twb"\n'
        "updatedAt = 2024-02-03T04:05:06Z\n",
        encoding="utf-8",
    )
    site = load_site(desc, base_dir=tmp_path)
    (wb,) = site.workbooks
    assert wb.content.path == tmp_path / "wb.twb"
    assert wb.content.filename == "W.twb"
    assert wb.updated_at.isoformat() == "2024-02-03T04:05:06+00:00"


def test_cli_serves_the_demo_site() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixtures.tableau_server", "--site", str(DEMO), "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        server = TSC.Server(url, use_server_version=True)
        server.auth.sign_in(TSC.PersonalAccessTokenAuth("audit-token", "demo-pat-secret", "demo"))
        names = {w.name for w in TSC.Pager(server.workbooks)}
        assert "DOJ Permits Dashboard" in names
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_concurrent_clients(srv: SimulatedServer, sim_site: SimSite) -> None:
    """Eight threads with their own TSC sessions; faults and the log stay consistent."""
    fault = srv.faults.server_error(route="workbook.permissions", times=3)
    errors: list[str] = []

    def worker() -> None:
        server = sign_in(srv)
        for wb in sim_site.workbooks:
            item = TSC.WorkbookItem(project_id="", name=wb.name)
            item._id = wb.id
            server.workbooks.populate_permissions(item)
            try:
                item.permissions  # noqa: B018 - the property performs the request
            except InternalServerError:
                errors.append(wb.name)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fault.fired == 3
    assert len(errors) == 3
    assert srv.log.count("workbook.permissions") == 64
    assert srv.log.count("workbook.permissions", status=500) == 3
    assert [e.seq for e in srv.log.entries()] == list(range(1, len(srv.log.entries()) + 1))


def test_views_list_and_personal_space() -> None:
    spec = site_spec()
    spec["workbooks"].append({"name": "Scratch", "personalSpace": True, "owner": "bob"})
    site = site_from_dict(spec)
    with SimulatedServer(site) as srv:
        server = sign_in(srv)
        views = list(TSC.Pager(server.views, TSC.RequestOptions(pagesize=4)))
        assert len(views) == len(site.views) == 11
        permits = site.find_id("workbook", "Permits")
        assert {v.name for v in views if v.workbook_id == permits} == {"Map", "Table"}
        scratch = server.workbooks.get_by_id(site.find_id("workbook", "Scratch"))
        assert scratch.location is not None
        assert (scratch.location.type, scratch.project_name) == ("PersonalSpace", None)


def test_unknown_route_and_method(srv: SimulatedServer) -> None:
    server = sign_in(srv)
    headers = {"X-Tableau-Auth": server.auth_token}
    base = f"{srv.url}/api/3.24/sites/{server.site_id}"
    missing = requests.get(f"{base}/flows/x/nothing", headers=headers, timeout=5)
    assert (missing.status_code, 'code="404003"' in missing.text) == (404, True)
    wrong = requests.delete(f"{base}/workbooks", headers=headers, timeout=5)
    assert wrong.status_code == 405
    gone = requests.get(f"{base}/workbooks/no-such-id", headers=headers, timeout=5)
    assert (gone.status_code, 'code="404006"' in gone.text) == (404, True)
    assert srv.log.counts() == {
        "signin": 1,
        "serverInfo": 1,
        "unknown": 1,
        "method_not_allowed": 1,
        "workbook": 1,
    }
