"""Command line: repeatable ``--format FMT[:PATH]``, several reports from one run, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner, Result
from lxml import etree

from tableau_audit.cli import cli
from tests.reports.golden import sarif_schema

PASSWORD_CANARY = "Plant3d-Formats-Canary-Pw"
MACHINE_FORMATS = ("csv", "json", "junit", "markdown", "sarif")

_WORKBOOK = f"""<?xml version='1.0' encoding='utf-8' ?>
<workbook version='18.1' xmlns:user='http://www.tableausoftware.com/xml/user'>
  <datasources>
    <datasource caption='Orders' inline='true' name='federated.1abc' version='18.1'>
      <connection class='federated'>
        <named-connections>
          <named-connection caption='db' name='postgres.0xyz'>
            <connection authentication='username-password' class='postgres' dbname='crm'
              port='5432' server='db.example.org' username='reporter'
              password='{PASSWORD_CANARY}' />
          </named-connection>
        </named-connections>
        <relation connection='postgres.0xyz' name='orders' table='[public].[orders]' type='table' />
        <metadata-records>
          <metadata-record class='column'><remote-name>region</remote-name>
            <remote-type>130</remote-type><local-name>[Region]</local-name>
            <parent-name>[orders]</parent-name><local-type>string</local-type></metadata-record>
          <metadata-record class='column'><remote-name>customer_ssn</remote-name>
            <remote-type>130</remote-type><local-name>[Customer SSN]</local-name>
            <parent-name>[orders]</parent-name><local-type>string</local-type></metadata-record>
        </metadata-records>
      </connection>
    </datasource>
  </datasources>
  <worksheets>
    <worksheet name='By Region'>
      <table><view>
        <datasources><datasource caption='Orders' name='federated.1abc' /></datasources>
        <datasource-dependencies datasource='federated.1abc'>
          <column datatype='string' name='[Region]' role='dimension' type='nominal' />
          <column-instance column='[Region]' derivation='None' name='[none:Region:nk]'
            pivot='key' type='nominal' />
        </datasource-dependencies>
      </view></table>
    </worksheet>
  </worksheets>
</workbook>
"""


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    """A stored password (TA301, high) and an unused SSN column (TA101, medium)."""
    path = tmp_path / "orders.twb"
    path.write_text(_WORKBOOK, encoding="utf-8")
    return path


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_one_run_writes_every_format_to_its_own_file(workbook: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    specs = [f"{fmt}:{out / ('report.' + fmt)}" for fmt in MACHINE_FORMATS]
    args = [a for spec in specs for a in ("--format", spec)]
    result = _run("scan", workbook, *args, "--format", "console")
    assert result.exit_code == 1, result.output  # the stored password is high
    assert "TA301" in result.stdout  # the console report went to stdout
    assert sorted(p.name for p in out.iterdir()) == [f"report.{fmt}" for fmt in MACHINE_FORMATS]
    for fmt in MACHINE_FORMATS:
        written = (out / f"report.{fmt}").read_text(encoding="utf-8")
        alone = _run("scan", workbook, "--format", fmt)
        assert alone.exit_code == 1
        assert written == alone.stdout, fmt  # same bytes as a single-format run
        assert PASSWORD_CANARY not in written
        assert "TA301" in written
        assert "Customer SSN" in written
    sarif = json.loads((out / "report.sarif").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(
        sarif_schema(), format_checker=jsonschema.FormatChecker()
    )
    assert list(validator.iter_errors(sarif)) == []
    junit = etree.fromstring((out / "report.junit").read_bytes())
    assert (junit.get("tests"), junit.get("failures")) == ("1", "1")


def test_fail_on_reaches_junit_and_the_exit_code_is_unchanged(
    workbook: Path, tmp_path: Path
) -> None:
    junit, sarif = tmp_path / "j.xml", tmp_path / "r.sarif"
    args = ("--format", f"junit:{junit}", "--format", f"sarif:{sarif}")
    assert _run("scan", workbook, *args, "--fail-on", "critical").exit_code == 0
    assert etree.fromstring(junit.read_bytes()).get("failures") == "0"
    assert _run("scan", workbook, *args, "--fail-on", "medium").exit_code == 1
    junit_root = etree.fromstring(junit.read_bytes())
    assert junit_root.get("failures") == "1"
    failure = junit_root.find(".//failure")
    assert failure is not None
    assert failure.get("type") == "TA101,TA301"


def test_single_format_with_output_still_works(workbook: Path, tmp_path: Path) -> None:
    target = tmp_path / "r.md"
    result = _run("scan", workbook, "-f", "markdown", "-o", target)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("## tableau-audit report")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-f", "json", "-f", "sarif", "-o", "x.out"), "--output goes with a single --format"),
        (("-f", "json:a.json", "-o", "x.out"), "--output goes with a single --format"),
        (("-f", "json", "-f", "markdown"), "formats json, markdown would all write to stdout"),
        (("-f", "json:same", "-f", "csv:same"), "formats json and csv would both write same"),
        (("-f", "sarif:",), "'sarif:': give a file after ':'"),
        (("-f", "pdf:x.pdf"), "unknown format 'pdf'"),
    ],
)  # fmt: skip
def test_ambiguous_combinations_exit_2_before_auditing(
    workbook: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    result = _run("scan", workbook, *args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.twb"]  # nothing written


def test_every_format_is_deterministic_across_runs(workbook: Path, tmp_path: Path) -> None:
    def run(folder: str) -> dict[str, bytes]:
        out = tmp_path / folder
        out.mkdir()
        args = [a for fmt in MACHINE_FORMATS for a in ("-f", f"{fmt}:{out / fmt}")]
        assert _run("scan", workbook, *args).exit_code == 1
        return {fmt: (out / fmt).read_bytes() for fmt in MACHINE_FORMATS}

    assert run("first") == run("second")
