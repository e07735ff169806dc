"""CSV reporter: golden file, one row per finding, formula-injection guard."""

from __future__ import annotations

import csv
import io

import pytest

from tableau_audit.reports import REPORTERS
from tableau_audit.reports.csv_report import COLUMNS, CsvReporter, neutralise
from tests.factories import make_finding, make_item, make_result
from tests.reports.golden import HOSTILE_COLUMN, SERVER_URL, check_golden, golden_result


def _rows(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def test_registered_under_csv() -> None:
    assert isinstance(REPORTERS["csv"], CsvReporter)


def test_golden_file() -> None:
    check_golden("report.csv", CsvReporter().render(golden_result()))


def test_one_row_per_finding_in_report_order_skipped_inputs_included() -> None:
    result = golden_result()
    rows = _rows(CsvReporter().render(result))
    accepted = (*(s.finding for s in result.suppressed), *result.baseline)
    assert [(r["rule_id"], r["fingerprint"]) for r in rows] == [
        (f.rule_id, f.fingerprint) for f in (*result.findings, *accepted)
    ]
    assert [(r["status"], r["suppression_reason"]) for r in rows[4:]] == [
        ("open", ""),
        ("suppressed", "Masked at source <b>HR-42</b> | ok"),
        ("baseline", ""),
    ]
    assert rows[0] == {
        "rule_id": "TA301",
        "severity": "high",
        "source": "reports/permits dept.twbx",
        "kind": "workbook",
        "name": "Permits <script>alert(1)</script> | `x`",
        "project": "Finance | HR",
        "datasource": "Permits",
        "field": "",
        "object_path": "datasource:Permits › connection:pg › attribute:password",
        "line": "42",
        "message": "A password is stored for connection 'pg' of "
        "'Permits <script>alert(1)</script> | `x`'",
        "fingerprint": result.findings[0].fingerprint,
        "risk_level": "high",
        "status": "open",
        "suppression_reason": "",
        "change": "",
        "first_seen": "",
    }
    server = rows[3]
    assert (server["source"], server["project"], server["risk_level"]) == (
        SERVER_URL,
        "'-HR",
        "medium",
    )
    skipped = rows[4]
    assert (skipped["rule_id"], skipped["source"], skipped["kind"], skipped["risk_level"]) == (
        "TA901",
        "broken dir/bad.twb",
        "",
        "",
    )


def test_formula_cells_are_neutralised() -> None:
    rows = _rows(CsvReporter().render(golden_result()))
    assert rows[1]["field"] == "'" + HOSTILE_COLUMN
    assert rows[2]["field"] == "'@security-team\\x1b[2J"  # leading @ and the escape character


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\\x09=1"),
        ("\r=1", "'\\x0d=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("SSN", "SSN"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(cell: str, expected: str) -> None:
    assert neutralise(cell) == expected


def test_every_cell_of_a_hostile_finding_is_guarded() -> None:
    finding = make_finding(
        rule_id="TA101",
        artifact="=evil.twb",
        object_path=("datasource:+ds", "column:-col"),
        message="@message",
    )
    item = make_item(source="=evil.twb", name="=name", project="@proj", findings=(finding,))
    (row,) = _rows(CsvReporter().render(make_result(items=(item,))))
    for key in ("source", "name", "project", "datasource", "field", "message"):
        assert row[key].startswith("'"), key


def test_deterministic_and_header_only_when_empty() -> None:
    assert CsvReporter().render(golden_result()) == CsvReporter().render(golden_result())
    assert CsvReporter().render(make_result(items=())) == ",".join(COLUMNS) + "\n"
