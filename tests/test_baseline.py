"""Baselines: file round trip, old vs new findings, the CLI gate, damaged files, no values."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from fixtures.samples import basic, doj, special
from tableau_audit.baseline import (
    Baseline,
    BaselineEntry,
    baseline_from_result,
    dump_baseline,
    item_hash,
    load_baseline,
    parse_baseline,
    split_baseline,
)
from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig
from tableau_audit.engine import build_result
from tableau_audit.errors import ConfigError
from tableau_audit.findings import Severity
from tableau_audit.rules import ALL_RULES
from tests.factories import make_finding, make_item, make_result, make_skipped

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"
OLD = make_finding(artifact="a.twbx")
NEW = make_finding(artifact="a.twbx", object_path=("datasource:Permits", "column:Email"))
ITEM = make_item(source="a.twbx", findings=(OLD, NEW))
BROKEN = make_skipped("b.twb")
SHAPE = re.compile(
    r'\{\n  "findings": \[\n'
    r'(    \{\n      "fingerprint": "[0-9a-f]{32}",\n      "item": "[0-9a-f]{32}",\n'
    r'      "rule_id": "TA\d{3}"\n    \},?\n)*'
    r'  \],\n  "schema_version": 1,\n  "tool": "tableau-audit"\n\}\n'
)
"""The whole file: hashes, rule ids and fixed keys, nothing else (so no name, path or value)."""


# --- file ---------------------------------------------------------------------------------------


def test_round_trip_is_sorted_unique_and_deterministic() -> None:
    result = make_result(items=(ITEM, ITEM), skipped=(BROKEN,))
    baseline = baseline_from_result(result)
    assert baseline.entries == tuple(
        sorted(
            {
                BaselineEntry(
                    item=item_hash("a.twbx"), rule_id="TA101", fingerprint=OLD.fingerprint
                ),
                BaselineEntry(
                    item=item_hash("a.twbx"), rule_id="TA101", fingerprint=NEW.fingerprint
                ),
                BaselineEntry(
                    item=item_hash("b.twb"), rule_id="TA901", fingerprint=BROKEN.finding.fingerprint
                ),
            }
        )
    )
    text = dump_baseline(baseline)
    assert SHAPE.fullmatch(text)
    assert parse_baseline(text.encode(), "x") == baseline
    reversed_order = Baseline(entries=tuple(reversed(baseline.entries)))
    assert dump_baseline(reversed_order) == text


def test_server_items_are_identified_by_their_id() -> None:
    item = make_item(source="https://srv/#/workbooks/7", item_id="luid-7", findings=(OLD,))
    (entry,) = baseline_from_result(make_result(items=(item,))).entries
    assert entry.item == item_hash("luid-7")


# --- old vs new ----------------------------------------------------------------------------------


def test_split_moves_known_findings_out() -> None:
    baseline = Baseline(
        entries=(
            BaselineEntry(item=item_hash("a.twbx"), rule_id="TA101", fingerprint=OLD.fingerprint),
            BaselineEntry(
                item=item_hash("b.twb"), rule_id="TA901", fingerprint=BROKEN.finding.fingerprint
            ),
        )
    )
    outcome = split_baseline([ITEM], [BROKEN], baseline)
    assert outcome.items[0].findings == (NEW,)
    assert outcome.skipped == ()
    assert outcome.known == (OLD, BROKEN.finding)


def test_engine_gates_on_new_findings_only() -> None:
    old_high = make_finding(artifact="a.twbx", severity=Severity.HIGH)
    new_low = make_finding(artifact="a.twbx", object_path=("column:Zip",), severity=Severity.LOW)
    item = make_item(source="a.twbx", findings=(old_high, new_low))
    known = Baseline(
        entries=(BaselineEntry(item="0" * 32, rule_id="TA101", fingerprint=old_high.fingerprint),)
    )
    result = build_result([item], [], ALL_RULES, AuditConfig(baseline=known))
    assert result.findings == (new_low,)
    assert result.baseline == (old_high,)
    assert result.max_severity is Severity.LOW


# --- CLI ---------------------------------------------------------------------------------


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def copy(tmp_path: Path, *names: str) -> list[str]:
    for name in names:
        shutil.copyfile(FIXTURES / name, tmp_path / name)
    return [str(tmp_path / name) for name in names]


def test_cli_create_then_scan_fails_only_on_new_findings(tmp_path: Path) -> None:
    baseline = str(tmp_path / "baseline.json")
    (password,) = copy(tmp_path, "TA301_fail_password.tds")
    created = run("baseline", "create", baseline, password)
    assert created.exit_code == 0, created.output
    assert (
        created.stderr == f"tableau-audit: baseline {baseline} records 1 finding(s) in 1 item(s)\n"
    )
    known = run("scan", password, "--baseline", baseline, "-f", "json")
    assert known.exit_code == 0
    summary = json.loads(known.stdout)["summary"]
    assert (summary["new"], summary["baseline"], summary["findings"]) == (0, 1, 0)
    assert [f["rule_id"] for f in json.loads(known.stdout)["baseline"]] == ["TA301"]
    (ssn,) = copy(tmp_path, "TA101_fail_unused_ssn_email.twb")
    grown = run("scan", password, ssn, "--baseline", baseline, "-f", "json", "--fail-on", "low")
    assert grown.exit_code == 1
    doc = json.loads(grown.stdout)
    assert (doc["summary"]["new"], doc["summary"]["baseline"]) == (2, 1)
    assert {f["rule_id"] for w in doc["workbooks"] for f in w["findings"]} == {"TA101"}
    without = run("scan", password, "-f", "json")
    assert without.exit_code == 1  # the same finding gates without the baseline


def test_cli_directory_baseline_matches_files_named_like_pre_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created over a directory from the repository root, used with repo-relative file names."""
    (tmp_path / "dashboards").mkdir()
    shutil.copyfile(FIXTURES / "TA301_fail_password.tds", tmp_path / "dashboards" / "db.tds")
    monkeypatch.chdir(tmp_path)
    assert run("baseline", "create", "baseline.json").exit_code == 0
    gate = run("scan", "--baseline", "baseline.json", "dashboards/db.tds", "-f", "json")
    assert gate.exit_code == 0
    assert json.loads(gate.stdout)["summary"]["baseline"] == 1


def test_cli_baseline_from_the_configuration(tmp_path: Path) -> None:
    (password,) = copy(tmp_path, "TA301_fail_password.tds")
    (tmp_path / "gate").mkdir()
    assert run("baseline", "create", str(tmp_path / "gate" / "b.json"), password).exit_code == 0
    config = tmp_path / "audit.toml"
    config.write_text('baseline = "gate/b.json"\n', encoding="utf-8")
    assert run("scan", password, "--config", str(config)).exit_code == 0
    # The command-line file wins over the configuration's.
    empty = tmp_path / "empty.json"
    empty.write_text(dump_baseline(Baseline()), encoding="utf-8")
    assert run("scan", password, "--config", str(config), "--baseline", str(empty)).exit_code == 1


def test_cli_create_records_every_finding_even_with_a_baseline_configured(tmp_path: Path) -> None:
    (password,) = copy(tmp_path, "TA301_fail_password.tds")
    first = tmp_path / "first.json"
    assert run("baseline", "create", str(first), password).exit_code == 0
    config = tmp_path / "audit.toml"
    config.write_text(f'baseline = "{first.name}"\n', encoding="utf-8")
    second = tmp_path / "second.json"
    assert run("baseline", "create", str(second), password, "--config", str(config)).exit_code == 0
    assert second.read_text() == first.read_text()


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "invalid JSON (Expecting value at line 1)"),
        (b"\xff\xfe", "the file is not UTF-8 text"),
        (b"[]", "expected a JSON object"),
        (b'{"findings": []}', "schema_version must be 1 (missing)"),
        (
            b'{"schema_version": 2, "findings": []}',
            "schema_version must be 1 (unsupported version)",
        ),
        (b'{"schema_version": 1}', "'findings' must be a list"),
        (b'{"schema_version": 1, "findings": [7]}', "findings[0]: expected an object"),
        (
            b'{"schema_version": 1, "findings": [{"fingerprint": "x", "item": "y"}]}',
            "findings[0]: 'rule_id' is missing or not a string",
        ),
        (
            b'{"schema_version": 1, "findings": [{"fingerprint": "not-hex-secret", '
            b'"item": "0", "rule_id": "TA101"}]}',
            "findings[0]: 'fingerprint' must be 32 lower-case hexadecimal digits",
        ),
        (
            b'{"schema_version": 1, "findings": [{"fingerprint": "'
            + b"a" * 32
            + b'", "item": "'
            + b"b" * 32
            + b'", "rule_id": "TA101", "message": "SSN 123-45-6789"}]}',
            "findings[0]: unexpected key 'message'",
        ),
    ],
)
def test_cli_damaged_baseline_exits_2_with_a_clear_message(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    damaged = tmp_path / "baseline.json"
    damaged.write_bytes(content)
    (password,) = copy(tmp_path, "TA301_fail_password.tds")
    result = run("scan", password, "--baseline", str(damaged))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {damaged}: not a valid tableau-audit baseline: {problem}\n"
    assert "not-hex-secret" not in result.stderr
    assert "123-45-6789" not in result.stderr


def test_cli_missing_baseline_exits_2(tmp_path: Path) -> None:
    (password,) = copy(tmp_path, "TA301_fail_password.tds")
    missing = tmp_path / "nope.json"
    result = run("scan", password, "--baseline", str(missing))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {missing}: baseline file not found (create it with `tableau-audit baseline "
        "create`)\n"
    )
    with pytest.raises(ConfigError):
        load_baseline(missing)


# --- never values ------------------------------------------------------------------------


@pytest.mark.hyper
def test_baseline_holds_no_value_secret_name_or_message(
    generated_samples: Path, tmp_path: Path
) -> None:
    baseline = tmp_path / "baseline.json"
    inputs = [str(generated_samples / n) for n in ("credentials.twb", "doj_permits.twbx")]
    inputs.append(str(generated_samples / "people.hyper"))
    assert run("baseline", "create", str(baseline), *inputs).exit_code == 0
    text = baseline.read_text(encoding="utf-8")
    assert SHAPE.fullmatch(text)
    assert len(json.loads(text)["findings"]) >= 10
    planted = {
        special.FAKE_DB_PASSWORD,
        special.FAKE_INITIAL_SQL_PASSWORD,
        special.FAKE_MAPBOX_TOKEN,
        special.FAKE_MAPBOX_TOKEN[3:20],
    }
    planted |= {str(v) for row in doj.rows()[""] for v in row.values() if len(str(v)) > 3}
    planted |= {str(v) for row in basic.people_table().rows for v in row if len(str(v)) > 3}
    planted |= {"credentials", "doj_permits", "Criminal History", "CCW Permits", "password"}
    # NOTE: hashes are random hex; a 5-digit value can occur inside one by chance. SHAPE above
    # already proves the file holds only hashes, rule ids and fixed keys; search the rest.
    outside_hashes = re.sub(r'"[0-9a-f]{32}"', '""', text)
    assert not [value for value in planted if value in outside_hashes]
