"""The site description the simulator tests share (8 workbooks, locked projects, a Guest)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from fixtures.tableau_server.site import permission_rule as rule

PAT_SECRET = "pat-secret-Q7x9"
PASSWORD = "pw-Zk9-unique"
APP_SECRET = "app-secret-L3m"
TWB = b"<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'/>"


def packaged_workbook() -> bytes:
    """A tiny .twbx: a .twb plus a fake extract member (enough for includeExtract=False).

    The same bytes on every call: members carry a fixed time (``writestr`` with a bare name
    stamps the current second, and a test comparing two calls failed across a second).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (
            ("Permits.twb", TWB),
            ("Data/Extracts/permits.hyper", b"not really hyper"),
        ):
            zf.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def site_spec(**site: Any) -> dict[str, Any]:
    """A site with 8 workbooks, nested locked projects, groups, a Guest and credentials."""
    extra = [
        {"name": f"Report {i}", "project": "Open", "updatedAt": f"2024-0{i}-01T00:00:00Z"}
        for i in range(1, 5)
    ]
    return {
        "site": {"name": "Test Site", "contentUrl": "test", "guestAccessEnabled": True, **site},
        "users": [
            {"name": "admin", "siteRole": "SiteAdministratorCreator", "password": PASSWORD},
            {"name": "alice", "siteRole": "Creator", "email": "alice@example.org"},
            {"name": "bob", "siteRole": "Viewer"},
            {"name": "Guest", "siteRole": "Guest"},
        ],
        "groups": [{"name": "Finance", "members": ["alice", "bob"]}],
        "tokens": [{"name": "ci-token", "secret": PAT_SECRET, "user": "admin"}],
        "connectedApp": {"clientId": "cid", "secretId": "kid-1", "secretValue": APP_SECRET},
        "projects": [
            {
                "name": "Public",
                "contentPermissions": "LockedToProject",
                "permissions": [rule("group", "All Users", Read="Allow")],
                "defaultWorkbookPermissions": [
                    rule("group", "All Users", Read="Allow", ViewUnderlyingData="Allow"),
                    rule("user", "Guest", Read="Allow"),
                ],
                "defaultDatasourcePermissions": [rule("group", "All Users", Connect="Allow")],
            },
            {"name": "Nested", "parent": "Public"},
            {
                "name": "Team",
                "contentPermissions": "LockedToProjectWithoutNested",
                "defaultWorkbookPermissions": [rule("group", "Finance", Read="Allow")],
            },
            {
                "name": "Team Child",
                "parent": "Team",
                "defaultWorkbookPermissions": [rule("user", "alice", Read="Allow")],
            },
            {"name": "Open", "owner": "alice"},
        ],
        "datasources": [
            {
                "name": "Ledger",
                "project": "Open",
                "owner": "alice",
                "contentText": "<datasource/>",
                "connections": [
                    {
                        "type": "postgres",
                        "serverAddress": "db.example.org",
                        "serverPort": "5432",
                        "userName": "svc_ledger",
                        "embedPassword": True,
                    }
                ],
                "permissions": [
                    rule("group", "All Users", Read="Allow", ExportXml="Allow"),
                    rule("user", "bob", ExportXml="Deny"),
                ],
            }
        ],
        "workbooks": [
            {
                "name": "Permits",
                "project": "Nested",
                "owner": "alice",
                "hasExtracts": True,
                "updatedAt": "2024-06-01T00:00:00Z",
                "contentBytes": packaged_workbook(),
                "views": [{"name": "Map"}, {"name": "Table"}],
            },
            {
                "name": "Finance Overview",
                "project": "Open",
                "showTabs": False,
                "updatedAt": "2024-05-15T12:30:00Z",
                "contentText": "<workbook name='fo'/>",
                "views": [
                    {
                        "name": "Summary",
                        "permissions": [rule("group", "All Users", Read="Allow")],
                    },
                    {"name": "Detail"},
                ],
                "connections": [
                    {
                        "type": "sqlserver",
                        "serverAddress": "sql.example.org",
                        "userName": "reader",
                        "embedPassword": True,
                        "datasource": "Budget",
                    },
                    {"publishedDatasource": "Ledger"},
                ],
                "permissions": [
                    rule("group", "Finance", Read="Allow", ExportData="Allow"),
                    rule("user", "bob", ViewUnderlyingData="Deny"),
                ],
            },
            {"name": "Team Main", "project": "Team"},
            {"name": "Team Report", "project": "Team Child"},
            *extra,
        ],
    }
