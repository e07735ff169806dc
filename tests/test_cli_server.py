"""``tableau-audit server`` end to end: CliRunner → TSC → the REST simulator → report, exit code.

The contract of issue 4: the same JSON as ``scan`` plus ``kind``, ``project``, ``id``, the
server URL as ``source`` and an ``exposure`` block; exit 2 with one line (no traceback, no
secret) when sign-in fails or the site cannot be listed; the token secret in no output or log.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from fixtures.tableau_server import SimulatedServer, site_from_dict
from tableau_audit.cli import cli
from tests.sources.server_site import PASSWORD, PAT_SECRET, server_env, site_spec


@pytest.fixture
def srv() -> Iterator[SimulatedServer]:
    with SimulatedServer(site_from_dict(site_spec())) as server:
        yield server


def invoke(srv_url: str, *args: str, **env: str) -> Result:
    environment = server_env(srv_url, **env)
    runner = CliRunner()
    # One immediate retry keeps the failure tests fast; the retry logic itself is tested in
    # tests/sources/test_server.py.
    command = ["server", "--retries", "1", *args]
    return runner.invoke(cli, command, env=environment, catch_exceptions=False)


def document(result: Result) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_json_report_has_server_fields_and_exposure(srv: SimulatedServer) -> None:
    result = invoke(srv.url, "--format", "json", "--concurrency", "2")
    assert result.exit_code == 1, result.stderr  # TA250 is critical, above the default "high"
    doc = document(result)
    assert doc["complete"] is True
    items = {item["name"]: item for item in doc["workbooks"]}
    permits = items["Permits"]
    assert permits["source"] == f"{srv.url}/#/site/test/workbooks/Permits"
    assert (permits["kind"], permits["project"]) == ("workbook", "Nested")
    assert permits["id"] == srv.site.find_id("workbook", "Permits")
    exposure = permits["exposure"]
    assert exposure["governed_by"] == "locked project Public"
    assert exposure["view"]["all_users"] is True
    assert exposure["view"]["guest"] is True
    assert exposure["download_full_data"]["all_users"] is True
    assert exposure["download_workbook"]["all_users"] is False
    ledger = items["Ledger"]
    assert ledger["kind"] == "datasource"
    assert items["Finance Overview"]["exposure"]["published_datasources"] == [ledger["id"]]
    assert {"TA250", "TA302"} <= set(doc["summary"]["by_rule"])


def test_a_browser_address_is_reduced_to_the_server(srv: SimulatedServer) -> None:
    result = invoke(f"{srv.url}/#/site/test/home?:iid=1", "--format", "json")
    assert result.exit_code == 1, result.stderr
    sources = {item["source"] for item in document(result)["workbooks"]}
    assert f"{srv.url}/#/site/test/workbooks/Permits" in sources


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://alice:planted-pw-123@{host}", "holds a user name or password"),
        ("https://planted-pw-123@{host}", "holds a user name or password"),
        ("ftp://{host}", "must start with https://"),
        ("https://{host}:notaport", "not a valid URL"),
    ],
)
def test_a_server_url_with_a_secret_or_no_host_is_refused_without_echo(
    srv: SimulatedServer, url: str, reason: str
) -> None:
    host = srv.url.split("://", 1)[1]
    result = invoke(url.format(host=host))
    assert result.exit_code == 2
    assert reason in result.stderr
    assert "planted-pw-123" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_settings_refuse_a_user_name_in_the_url() -> None:
    from tableau_audit.errors import SourceError
    from tableau_audit.sources.server import Credentials, ServerSettings

    credentials = Credentials(method="pat", name="n", secret="s")
    with pytest.raises(SourceError, match="user name or password") as raised:
        ServerSettings(url="https://bob:planted-pw-123@host", credentials=credentials)
    assert "planted-pw-123" not in str(raised.value)
    # A token in a browser address's query or fragment never reaches the label either.
    settings = ServerSettings(
        url="https://host/?api_token=planted-tok-456#/site/x", credentials=credentials
    )
    assert settings.url == "https://host"
    assert "planted-tok-456" not in settings.label


def test_fail_on_and_project_scope(srv: SimulatedServer) -> None:
    assert invoke(srv.url, "--fail-on", "critical").exit_code == 1
    quiet = invoke(srv.url, "--project", "Team", "--fail-on", "critical", "--no-datasources")
    assert quiet.exit_code == 0, quiet.stderr
    assert "Team Main" in quiet.stdout


def test_output_file_and_console_exposure_line(srv: SimulatedServer, tmp_path: Path) -> None:
    out = tmp_path / "site.txt"
    result = invoke(srv.url, "--project", "Public", "--output", str(out))
    assert result.exit_code == 1
    assert result.stdout == ""
    text = " ".join(out.read_text(encoding="utf-8").split())  # unwrap the console lines
    assert "exposure (locked project Public): view: All Users, Guest; full data: All Users" in text
    assert "TA250" in text


def test_secret_appears_in_no_output_or_log(
    srv: SimulatedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # TSC, urllib3 and the simulator log through the root
    srv.faults.expire_tokens(at_request=12)  # a re-sign-in sends the secret a second time
    good = invoke(srv.url, "-vv", "--format", "json")
    bad = invoke(srv.url, "-vv", TABLEAU_TOKEN_SECRET="x" + PAT_SECRET)
    assert srv.log.count("signin") == 3
    assert bad.exit_code == 2
    everything = good.stdout + good.stderr + bad.stdout + bad.stderr + caplog.text
    assert "DEBUG" in good.stderr  # -vv really logged
    assert PAT_SECRET not in everything
    assert PASSWORD not in everything


def test_refused_sign_in_is_one_line_exit_2(srv: SimulatedServer) -> None:
    result = invoke(srv.url, TABLEAU_TOKEN_SECRET="wrong")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "sign-in refused (401001" in lines[0]
    assert "Traceback" not in result.stderr


def test_unreachable_server_is_one_line_exit_2() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke(f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot sign in (ConnectionError)" in result.stderr


def test_server_error_on_sign_in_is_one_line_exit_2(srv: SimulatedServer) -> None:
    fault = srv.faults.server_error(route="signin", status=503, times=None)
    result = invoke(srv.url)
    assert fault.fired == 2  # the request and its one retry
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {srv.url} site test: cannot sign in (InternalServerError 503)"
    ]


def test_site_that_cannot_be_listed_is_exit_2(srv: SimulatedServer) -> None:
    srv.faults.server_error(route="workbooks", status=503, times=None)
    result = invoke(srv.url)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: {srv.url} site test: cannot list workbooks "
        "(the server answered HTTP 503 (after retries))"
    ]


def test_one_forbidden_item_makes_the_run_incomplete(srv: SimulatedServer) -> None:
    srv.faults.forbid(route="workbook.content", item="Report 1")
    result = invoke(srv.url, "--format", "json")
    assert result.exit_code == 2
    doc = document(result)
    assert doc["complete"] is False
    assert [s["source"].rsplit("/", 1)[-1] for s in doc["skipped"]] == ["Report1"]
    assert "the run is incomplete" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TABLEAU_TOKEN_NAME": ""}, "choose one sign-in method"),
        ({"TABLEAU_USERNAME": "admin"}, "got pat and password"),
        ({"TABLEAU_TOKEN_SECRET": ""}, "TABLEAU_TOKEN_SECRET is not set"),
    ],
)
def test_sign_in_method_errors(srv: SimulatedServer, env: dict[str, str], message: str) -> None:
    result = invoke(srv.url, **env)
    assert result.exit_code == 2
    assert message in result.stderr


def test_password_sign_in(srv: SimulatedServer) -> None:
    result = invoke(
        srv.url,
        "--project",
        "Team",
        TABLEAU_TOKEN_NAME="",
        TABLEAU_USERNAME="admin",
        TABLEAU_PASSWORD=PASSWORD,
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.hyper
def test_demo_site_flags_the_doj_workbook_critical(generated_samples: Path) -> None:
    """What ``make demo`` shows: the DOJ-pattern workbook in the public project is critical."""
    from fixtures.demo_server import DEMO_TOKEN_NAME, DEMO_TOKEN_SECRET, demo_site

    demo = {
        "TABLEAU_SITE": "demo",
        "TABLEAU_TOKEN_NAME": DEMO_TOKEN_NAME,
        "TABLEAU_TOKEN_SECRET": DEMO_TOKEN_SECRET,
    }
    with SimulatedServer(demo_site(generated_samples)) as srv:
        result = invoke(srv.url, "--format", "json", **demo)
        names_only = invoke(
            srv.url, "--format", "json", "--sample-size", "0", "--no-datasources", **demo
        )
    sampled = [
        c["classification"]["name_only"]
        for item in document(result)["workbooks"]
        for c in item["columns"]
        if c["classification"]
    ]
    assert False in sampled  # the extracts' values were read...
    assert {
        c["classification"]["name_only"]
        for item in document(names_only)["workbooks"]
        for c in item["columns"]
        if c["classification"]
    } == {True}  # ...and with --sample-size 0 they are not
    assert result.exit_code == 1, result.stderr
    items = {item["name"]: item for item in document(result)["workbooks"]}
    doj = items["DOJ Permits Dashboard"]
    assert doj["risk"]["level"] == "critical"
    assert doj["project"] == "Justice"
    critical = [f for f in doj["findings"] if f["rule_id"] == "TA250"]
    assert {f["severity"] for f in critical} == {"critical"}
    assert {"CII Number", "Criminal History", "Driver License Number"} <= {
        f["field"] for f in critical
    }
    assert all(set(f["evidence"]["audience"]) == {"all_users", "guest"} for f in critical)
    # Private content stays out of TA250: HR is locked to its own group.
    assert not [f for f in items["HR Roster"]["findings"] if f["rule_id"] == "TA250"]
