"""SARIF, Markdown, CSV and JUnit on real audits: every generated sample and the corpus.

SARIF must validate against the official schema, JUnit must parse, CSV must hold one row per
finding, and every format must render byte-identically twice. A server run (the REST simulator,
one item forbidden so the run is incomplete) checks URLs as artifacts and the incomplete flags.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from lxml import etree

from fixtures.tableau_server import SimulatedServer, site_from_dict
from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.findings import AuditResult
from tableau_audit.reports import REPORTERS
from tests.reports.golden import sarif_schema
from tests.reports.test_sarif import schema_errors
from tests.sources.server_site import PAT_SECRET, server_env, site_spec

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "files"
FORMATS = ("csv", "junit", "markdown", "sarif")


def _check_every_format(result: AuditResult) -> None:
    texts = {fmt: REPORTERS[fmt].render(result) for fmt in FORMATS}
    assert texts == {fmt: REPORTERS[fmt].render(result) for fmt in FORMATS}  # deterministic
    assert schema_errors(json.loads(texts["sarif"]))[:5] == []
    sarif_results = json.loads(texts["sarif"])["runs"][0]["results"]
    assert len(sarif_results) == len(result.findings)
    rows = list(csv.DictReader(io.StringIO(texts["csv"], newline="")))
    assert [row["fingerprint"] for row in rows] == [f.fingerprint for f in result.findings]
    junit = etree.fromstring(texts["junit"].encode("utf-8"))
    assert junit.get("tests") == str(len(result.items) + len(result.skipped))
    assert texts["markdown"].startswith("## tableau-audit report\n")


def test_every_generated_sample(generated_samples: Path) -> None:
    result = audit([generated_samples], AuditConfig())
    assert len(result.items) + len(result.skipped) == len(list(generated_samples.iterdir()))
    _check_every_format(result)
    sarif = json.loads(REPORTERS["sarif"].render(result))
    lines = [
        loc["physicalLocation"].get("region", {}).get("startLine")
        for r in sarif["runs"][0]["results"]
        for loc in r["locations"]
    ]
    assert any(lines)  # the XML line reaches region.startLine for .twb findings


@pytest.mark.corpus
def test_corpus_run() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    result = audit([CORPUS], AuditConfig())
    assert result.items
    _check_every_format(result)


def test_schema_is_the_official_errata01_text() -> None:
    schema = sarif_schema()
    assert schema["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    jsonschema.Draft4Validator.check_schema(schema)


def test_server_run_writes_every_machine_format(tmp_path: Path) -> None:
    specs = [a for fmt in FORMATS for a in ("--format", f"{fmt}:{tmp_path / fmt}")]
    with SimulatedServer(site_from_dict(site_spec())) as srv:
        srv.faults.forbid(route="workbook.content", item="Report 1")
        env = server_env(srv.url)
        run = CliRunner().invoke(cli, ["server", "--retries", "1", *specs], env=env)
    assert run.exit_code == 2, run.output  # incomplete: one workbook could not be downloaded
    assert PAT_SECRET not in "".join((tmp_path / fmt).read_text("utf-8") for fmt in FORMATS)
    sarif = json.loads((tmp_path / "sarif").read_text(encoding="utf-8"))
    assert schema_errors(sarif) == []
    sarif_run = sarif["runs"][0]
    assert sarif_run["invocations"][0]["executionSuccessful"] is False
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif_run["results"]
        for loc in result["locations"]
    }
    assert uris
    assert all(uri.startswith(srv.url) for uri in uris)
    assert all("uriBaseId" not in loc["physicalLocation"]["artifactLocation"]
               for r in sarif_run["results"] for loc in r["locations"])  # fmt: skip
    junit = etree.fromstring((tmp_path / "junit").read_bytes())
    cases = [(c.get("classname"), c.get("name")) for c in junit.iter("testcase")]
    assert cases[-1] == ("run", "completeness")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "csv").read_text("utf-8"), newline="")))
    assert len(rows) == len(sarif_run["results"])
    assert "the run is incomplete" in (tmp_path / "markdown").read_text(encoding="utf-8")
