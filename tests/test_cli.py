"""Command line: exit codes 0/1/2, every format, --output, the rule catalogue, one-line errors."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from tableau_audit import __version__
from tableau_audit.cli import CliError, cli, cli_errors, exit_code, setup_logging, write_atomic
from tableau_audit.errors import ConfigError
from tableau_audit.findings import Severity
from tableau_audit.reports import REPORTERS
from tableau_audit.rules import ALL_RULES
from tests.factories import make_finding, make_item, make_result, make_skipped

PASSWORD_CANARY = "Plant3d-Cli-Canary-Pw"

_COLUMN = """<metadata-record class='column'><remote-name>{remote}</remote-name>
  <remote-type>130</remote-type><local-name>[{name}]</local-name><parent-name>[orders]</parent-name>
  <local-type>string</local-type></metadata-record>"""


def _twb(columns: tuple[str, ...], used: tuple[str, ...], password: str = "") -> str:
    """A small but realistic workbook: one Postgres data source and one worksheet."""
    records = "\n".join(_COLUMN.format(remote=c.lower().replace(" ", "_"), name=c) for c in columns)
    deps = "\n".join(
        f"<column datatype='string' name='[{c}]' role='dimension' type='nominal' />"
        f"<column-instance column='[{c}]' derivation='None' name='[none:{c}:nk]' pivot='key'"
        " type='nominal' />"
        for c in used
    )
    pw = f" password='{password}'" if password else ""
    return f"""<?xml version='1.0' encoding='utf-8' ?>
<workbook original-version='18.1' source-build='2024.3.0 (20243.24.1010.1014)' source-platform='win'
  version='18.1' xmlns:user='http://www.tableausoftware.com/xml/user'>
  <datasources>
    <datasource caption='Orders' inline='true' name='federated.1abc' version='18.1'>
      <connection class='federated'>
        <named-connections>
          <named-connection caption='db' name='postgres.0xyz'>
            <connection authentication='username-password' class='postgres' dbname='crm'
              port='5432' server='db.example.org' username='reporter'{pw} />
          </named-connection>
        </named-connections>
        <relation connection='postgres.0xyz' name='orders' table='[public].[orders]' type='table' />
        <metadata-records>{records}</metadata-records>
      </connection>
    </datasource>
  </datasources>
  <worksheets>
    <worksheet name='By Region'>
      <table><view>
        <datasources><datasource caption='Orders' name='federated.1abc' /></datasources>
        <datasource-dependencies datasource='federated.1abc'>{deps}</datasource-dependencies>
      </view></table>
    </worksheet>
  </worksheets>
</workbook>
"""


@pytest.fixture
def clean_twb(tmp_path: Path) -> Path:
    """No confidential column, no secret: no findings."""
    path = tmp_path / "clean.twb"
    path.write_text(_twb(("Region", "Product"), used=("Region", "Product")), encoding="utf-8")
    return path


@pytest.fixture
def unused_ssn_twb(tmp_path: Path) -> Path:
    """An unused SSN column on a live connection: TA101 at MEDIUM, below the default fail-on."""
    path = tmp_path / "unused_ssn.twb"
    path.write_text(_twb(("Region", "Customer SSN"), used=("Region",)), encoding="utf-8")
    return path


@pytest.fixture
def password_twb(tmp_path: Path) -> Path:
    """A stored password: TA301 at HIGH, at the default fail-on."""
    path = tmp_path / "password.twb"
    path.write_text(_twb(("Region",), used=("Region",), password=PASSWORD_CANARY), encoding="utf-8")
    return path


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


# --- without the engine: option validation, catalogue, helpers -------------------------------


def test_version() -> None:
    result = _run("--version")
    assert result.exit_code == 0
    assert result.output == f"tableau-audit, version {__version__}\n"


@pytest.mark.parametrize("command", [(), ("scan",), ("rules",)])
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    result = _run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output
    assert "Show this message and exit." in result.output


def test_missing_path_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.twbx"
    result = _run("scan", missing)
    assert result.exit_code == 2
    assert "nowhere.twbx" in result.output
    assert "does not exist" in result.output
    assert "Traceback" not in result.output


def test_bad_fail_on_is_a_usage_error(clean_twb: Path) -> None:
    result = _run("scan", clean_twb, "--fail-on", "extreme")
    assert result.exit_code == 2
    assert "--fail-on" in result.output
    assert "extreme" in result.output


def test_unknown_format_is_a_usage_error(clean_twb: Path) -> None:
    result = _run("scan", clean_twb, "--format", "pdf")
    assert result.exit_code == 2
    assert "pdf" in result.output


def test_scan_needs_a_path() -> None:
    result = _run("scan")
    assert result.exit_code == 2
    assert "Missing argument" in result.output


def test_rules_lists_every_rule() -> None:
    result = _run("rules")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.splitlines()[2:] if line[:2] == "TA"}
    assert listed == {rule.id for rule in ALL_RULES}
    assert "\x1b" not in result.output


def test_rules_as_json_lists_every_rule_in_registry_order() -> None:
    result = _run("rules", "--format", "json")
    assert result.exit_code == 0
    rules = json.loads(result.stdout)["rules"]
    assert [(r["id"], r["name"], r["severity"]) for r in rules] == [
        (rule.id, rule.name, rule.severity.label) for rule in ALL_RULES
    ]


def test_exit_code_compares_the_worst_finding_with_fail_on() -> None:
    medium = make_result(items=(make_item(findings=(make_finding(severity=Severity.MEDIUM),)),))
    assert exit_code(medium, Severity.HIGH) == 0
    assert exit_code(medium, Severity.MEDIUM) == 1
    assert exit_code(medium, Severity.INFO) == 1
    assert exit_code(make_result(items=(), skipped=(make_skipped(),)), Severity.HIGH) == 1
    assert exit_code(make_result(items=()), Severity.INFO) == 0
    assert exit_code(make_result(items=(), complete=False), Severity.CRITICAL) == 2


def test_errors_become_one_line_with_exit_code_2_and_never_quote_unexpected_messages() -> None:
    with pytest.raises(CliError) as known, cli_errors():
        raise ConfigError("tableau-audit.toml: fail-on: unknown severity 'x'\nsecond line")
    assert known.value.exit_code == 2
    assert known.value.format_message() == (
        "tableau-audit.toml: fail-on: unknown severity 'x' second line"
    )
    with pytest.raises(CliError) as unexpected, cli_errors():
        raise ValueError("sampled value 123-45-6789")
    assert unexpected.value.exit_code == 2
    assert "123-45-6789" not in unexpected.value.format_message()
    assert "ValueError" in unexpected.value.format_message()
    with pytest.raises(click.UsageError), cli_errors():
        raise click.UsageError("passes through")


def test_write_atomic_replaces_the_file_keeps_its_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_atomic(target, "first\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o600)
    write_atomic(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def _drain(fd: int) -> bytes:
    """Everything written to a FIFO whose writer has closed (non-blocking read end)."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs need a POSIX system")
def test_a_fifo_target_is_written_in_place_not_replaced(tmp_path: Path, clean_twb: Path) -> None:
    # NOTE: the read end is opened non-blocking first, so the writer's open() never waits and
    # a regression (the FIFO renamed over) fails on the content instead of hanging the test.
    fifo = tmp_path / "report.pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_atomic(fifo, "first line\nsecond line\n")
        assert _drain(reader) == b"first line\nsecond line\n"
        result = _run("scan", clean_twb, "--format", "json", "--output", fifo)
        assert result.exit_code == 0, result.output
        assert json.loads(_drain(reader))["workbooks"][0]["source"] == str(clean_twb)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.twb", "report.pipe"]


# --- end to end through the engine -------------------------------------------------------------


def test_clean_workbook_exits_0(clean_twb: Path) -> None:
    result = _run("scan", clean_twb, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [w["source"] for w in doc["workbooks"]] == [str(clean_twb)]
    assert doc["workbooks"][0]["findings"] == []
    assert doc["skipped"] == []


def test_fail_on_decides_between_0_and_1(unused_ssn_twb: Path) -> None:
    assert _run("scan", unused_ssn_twb).exit_code == 0
    assert _run("scan", unused_ssn_twb, "--fail-on", "medium").exit_code == 1
    assert _run("scan", unused_ssn_twb, "--fail-on", "MEDIUM").exit_code == 1


def test_stored_password_exits_1_and_its_value_appears_in_no_format(password_twb: Path) -> None:
    for fmt in sorted(REPORTERS):
        result = _run("scan", password_twb, "--format", fmt, "-vv")
        assert result.exit_code == 1, (fmt, result.output)
        assert "TA301" in result.output
        assert PASSWORD_CANARY not in result.output
    assert _run("scan", password_twb, "--fail-on", "critical").exit_code == 0


def test_unreadable_file_is_skipped_with_a_reason_and_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.twb"
    broken.write_bytes(b"")
    result = _run("scan", broken, "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["workbooks"] == []
    assert [(s["source"], s["rule_id"], s["severity"]) for s in doc["skipped"]] == [
        (str(broken), "TA901", "high")
    ]
    assert doc["skipped"][0]["reason"]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_every_format_renders_and_writes_to_output(
    fmt: str, unused_ssn_twb: Path, tmp_path: Path
) -> None:
    to_stdout = _run("scan", unused_ssn_twb, "--format", fmt)
    assert to_stdout.exit_code == 0
    assert "Customer SSN" in to_stdout.stdout
    target = tmp_path / f"report.{fmt}"
    to_file = _run("scan", unused_ssn_twb, "--format", fmt, "--output", target)
    assert to_file.exit_code == 0
    assert to_file.stdout == ""
    assert target.read_text(encoding="utf-8") == to_stdout.stdout


def test_json_is_deterministic_and_has_the_contract_keys(
    unused_ssn_twb: Path, password_twb: Path
) -> None:
    first = _run("scan", unused_ssn_twb, password_twb, "--format", "json").stdout
    second = _run("scan", password_twb, unused_ssn_twb, "--format", "json").stdout
    assert first == second
    doc = json.loads(first)
    assert {"schema_version", "tool", "complete", "workbooks", "skipped", "summary"} <= set(doc)
    assert doc["complete"] is True
    ssn = next(c for w in doc["workbooks"] for c in w["columns"] if c["field"] == "Customer SSN")
    assert (ssn["used"], ssn["classification"]["type"]) == (False, "ssn")


def test_console_is_plain_text_when_not_a_terminal(unused_ssn_twb: Path) -> None:
    result = _run("scan", unused_ssn_twb)
    assert "\x1b" not in result.output
    assert "TA101" in result.output
    coloured = _run("scan", unused_ssn_twb, "--color")
    assert "\x1b[" in coloured.output


def test_unwritable_output_is_exit_2_with_one_line(unused_ssn_twb: Path, tmp_path: Path) -> None:
    result = _run("scan", unused_ssn_twb, "--output", tmp_path / "no" / "such" / "dir.json")
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")
    assert "dir.json: cannot write the report" in result.output
    assert "Traceback" not in result.output


def test_invalid_config_is_exit_2_naming_the_file(unused_ssn_twb: Path, tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('fail-on = "extreme"\n', encoding="utf-8")
    result = _run("scan", unused_ssn_twb, "--config", config)
    assert result.exit_code == 2
    assert "bad.toml" in result.output
    assert "Traceback" not in result.output


def test_config_file_fail_on_applies_and_the_option_overrides_it(
    unused_ssn_twb: Path, tmp_path: Path
) -> None:
    config = tmp_path / "tableau-audit.toml"
    config.write_text('fail-on = "medium"\n', encoding="utf-8")
    assert _run("scan", unused_ssn_twb, "--config", config).exit_code == 1
    assert _run("scan", unused_ssn_twb, "--config", config, "--fail-on", "high").exit_code == 0


def test_config_is_found_from_the_working_directory_upwards(
    unused_ssn_twb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tableau-audit.toml").write_text('fail-on = "medium"\n', encoding="utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert _run("scan", unused_ssn_twb).exit_code == 1


def test_logging_levels_and_a_single_handler() -> None:
    package_logger = logging.getLogger("tableau_audit")
    for verbose, level in ((0, logging.WARNING), (1, logging.INFO), (3, logging.DEBUG)):
        setup_logging(verbose)
        assert package_logger.level == level
    ours = [h for h in package_logger.handlers if getattr(h, "tableau_audit_cli", False)]
    assert len(ours) == 1
    package_logger.removeHandler(ours[0])
    package_logger.setLevel(logging.NOTSET)


def test_debug_logging_keeps_stdout_pure_json(unused_ssn_twb: Path) -> None:
    result = _run("scan", unused_ssn_twb, "-f", "json", "-vv")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["workbooks"][0]["source"] == str(unused_ssn_twb)
