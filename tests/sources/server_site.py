"""The site the server-source tests audit through the REST simulator (real TSC over HTTP).

Every acceptance situation of issue 4 has one item here:

* ``Permits`` sits in ``Nested`` under the ``LockedToProject`` project ``Public``, whose default
  rules open View and Download Full Data to All Users and View to the Guest user; its columns
  include an unused ``Customer SSN``;
* ``Team Main`` / ``Team Report``: ``LockedToProjectWithoutNested`` locks ``Team`` only;
* ``Finance Overview`` hides its tabs; view ``Summary`` opens View and Full Data to All Users;
  it reads the published data source ``Ledger`` and embeds a database password;
* ``Open Secrets``: All Users may download full data, but a Deny for ``Staff`` (every licensed
  user) overrides it; ``Board Pack``: full data for a group of Viewers only (site-role ceiling);
* ``Report 1`` … ``Report 4``: plain content, for paging and fault injection.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from fixtures.tableau_server.site import permission_rule as rule

PAT_NAME = "audit-ci"
PAT_SECRET = "pat-Secret-H10-canary-Zq7"
PASSWORD = "pw-H10-canary-Lm3"
APP_SECRET = "app-H10-canary-Kx9"
RULE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"

PROXY_TWB = """<?xml version='1.0' encoding='utf-8' ?>
<workbook version='18.1' xmlns:user='http://www.tableausoftware.com/xml/user'>
  <datasources>
    <datasource caption='Contacts' inline='true' name='sqlproxy.0abc' version='18.1'>
      <repository-location id='Ledger' path='/t/test/datasources' revision='1.0' site='test' />
      <connection class='sqlproxy' channel='https' dbname='Ledger' port='443'
                  server='tableau.example.org' username='' />
      <column datatype='string' name='[segment]' role='dimension' type='nominal' />
    </datasource>
  </datasources>
  <worksheets>
    <worksheet name='By Segment'>
      <table>
        <view>
          <datasources><datasource caption='Contacts' name='sqlproxy.0abc' /></datasources>
          <datasource-dependencies datasource='sqlproxy.0abc'>
            <column datatype='string' name='[segment]' role='dimension' type='nominal' />
          </datasource-dependencies>
        </view>
        <rows>[sqlproxy.0abc].[segment]</rows>
      </table>
    </worksheet>
  </worksheets>
</workbook>
"""

PLAIN_TWB = "<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'/>"
PERMITS = str(RULE_FIXTURES / "TA101_fail_unused_ssn_email.twb")
CONTACTS = str(RULE_FIXTURES / "TA104_fail_customer_contacts.tds")

ALL_WORKBOOKS = frozenset(
    {
        "Permits",
        "Team Main",
        "Team Report",
        "Finance Overview",
        "Open Secrets",
        "Board Pack",
        "Report 1",
        "Report 2",
        "Report 3",
        "Report 4",
    }
)


def server_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``tableau-audit server`` run against the simulator at ``url``:
    the test token, no other sign-in method and no webhook (whatever the developer's shell
    holds), no colour."""
    return {
        "TABLEAU_SERVER": url,
        "TABLEAU_SITE": "test",
        "TABLEAU_TOKEN_NAME": PAT_NAME,
        "TABLEAU_TOKEN_SECRET": PAT_SECRET,
        "TABLEAU_USERNAME": "",
        "TABLEAU_PASSWORD": "",
        "TABLEAU_JWT": "",
        "TABLEAU_AUDIT_WEBHOOK": "",
        "NO_COLOR": "1",
        **extra,
    }


def opened_to_all_users(spec: dict[str, Any], workbook: str) -> dict[str, Any]:
    """A copy of ``spec`` in which All Users may view ``workbook`` and download its full data
    (a permission change without any content change)."""
    opened = copy.deepcopy(spec)
    found = next(w for w in opened["workbooks"] if w["name"] == workbook)
    found["permissions"] = [
        {"group": "All Users", "capabilities": {"Read": "Allow", "ViewUnderlyingData": "Allow"}}
    ]
    return opened


def _projects() -> list[dict[str, Any]]:
    return [
        {
            "name": "Public",
            "owner": "admin",
            "contentPermissions": "LockedToProject",
            "permissions": [rule("group", "All Users", Read="Allow")],
            "defaultWorkbookPermissions": [
                rule("group", "All Users", Read="Allow", ViewUnderlyingData="Allow"),
                rule("user", "Guest", Read="Allow"),
            ],
            "defaultDatasourcePermissions": [rule("group", "All Users", Read="Allow")],
        },
        {"name": "Nested", "parent": "Public", "owner": "admin"},
        {
            "name": "Team",
            "owner": "admin",
            "contentPermissions": "LockedToProjectWithoutNested",
            "defaultWorkbookPermissions": [rule("group", "Finance", Read="Allow")],
        },
        {
            "name": "Team Child",
            "parent": "Team",
            "owner": "admin",
            "defaultWorkbookPermissions": [rule("user", "alice", Read="Allow")],
        },
        {"name": "Open", "owner": "admin"},
    ]


def _workbooks() -> list[dict[str, Any]]:
    full_for_all = rule("group", "All Users", Read="Allow", ViewUnderlyingData="Allow")
    reports = [
        {"name": f"Report {i}", "project": "Open", "owner": "admin", "contentText": PLAIN_TWB}
        for i in range(1, 5)
    ]
    return [
        {"name": "Permits", "project": "Nested", "owner": "admin", "content": PERMITS},
        {"name": "Team Main", "project": "Team", "owner": "admin", "contentText": PLAIN_TWB},
        {
            "name": "Team Report",
            "project": "Team Child",
            "owner": "admin",
            "contentText": PLAIN_TWB,
        },
        {
            "name": "Finance Overview",
            "project": "Open",
            "owner": "admin",
            "showTabs": False,
            "contentText": PROXY_TWB,
            "permissions": [rule("group", "Finance", Read="Allow")],
            "views": [
                {"name": "Summary", "permissions": [full_for_all]},
                {
                    "name": "Detail",
                    "permissions": [rule("group", "Finance", Read="Allow")],
                },
            ],
            "connections": [
                {"publishedDatasource": "Ledger"},
                {
                    "type": "sqlserver",
                    "serverAddress": "sql.example.org",
                    "userName": "budget_reader",
                    "embedPassword": True,
                    "datasource": "Budget",
                },
            ],
        },
        {
            "name": "Open Secrets",
            "project": "Open",
            "owner": "admin",
            "content": PERMITS,
            "permissions": [
                full_for_all,
                rule("group", "Staff", ViewUnderlyingData="Deny"),
            ],
        },
        {
            "name": "Board Pack",
            "project": "Open",
            "owner": "admin",
            "content": PERMITS,
            "permissions": [rule("group", "Board", Read="Allow", ViewUnderlyingData="Allow")],
        },
        *reports,
    ]


def site_spec(**site: Any) -> dict[str, Any]:
    """The test site; keyword arguments override ``[site]`` keys (``guestAccessEnabled``...)."""
    return {
        "site": {
            "name": "Audit Test",
            "contentUrl": "test",
            "guestAccessEnabled": True,
            "guestInAllUsers": False,
            **site,
        },
        "users": [
            {"name": "admin", "siteRole": "SiteAdministratorCreator", "password": PASSWORD},
            {"name": "carol", "siteRole": "Creator"},
            {"name": "alice", "siteRole": "Explorer"},
            {"name": "bob", "siteRole": "Viewer"},
            {"name": "Guest", "siteRole": "Guest"},
        ],
        "groups": [
            {"name": "Finance", "members": ["alice"]},
            {"name": "Staff", "members": ["carol", "alice", "bob"]},
            {"name": "Board", "members": ["bob"]},
        ],
        "tokens": [{"name": PAT_NAME, "secret": PAT_SECRET, "user": "admin"}],
        "connectedApp": {"clientId": "cid", "secretId": "kid-1", "secretValue": APP_SECRET},
        "projects": _projects(),
        "datasources": [
            {
                "name": "Ledger",
                "project": "Open",
                "owner": "admin",
                "content": CONTACTS,
                "connections": [
                    {
                        "type": "postgres",
                        "serverAddress": "db.example.org",
                        "userName": "svc_ledger",
                        "embedPassword": True,
                    }
                ],
                "permissions": [
                    rule("group", "All Users", Read="Allow", Connect="Allow"),
                    rule("group", "Finance", ExportXml="Allow"),
                ],
            }
        ],
        "workbooks": _workbooks(),
    }
