"""Extract details in the reports: ``extract_only`` columns and the per-item extract summary."""

from __future__ import annotations

import json

from tableau_audit.findings import ExtractReport
from tableau_audit.reports.console import ConsoleReporter, extracts_summary
from tableau_audit.reports.json import JsonReporter
from tests.factories import make_column, make_item, make_result


def _extract(**overrides: object) -> ExtractReport:
    values: dict[str, object] = {
        "datasource": "Permits",
        "file": "Data/Extracts/permits.hyper",
        "status": "packaged",
        "readable": True,
        "tables": 1,
        "rows": 12_000,
        "columns": 9,
        "undescribed_columns": 2,
        "confidential_columns": 3,
    }
    values.update(overrides)
    return ExtractReport(**values)  # type: ignore[arg-type]


def test_json_columns_say_whether_only_the_extract_knows_them() -> None:
    columns = (make_column(field="SSN"), make_column(field="shadow", extract_only=True))
    doc = json.loads(JsonReporter().render(make_result(items=(make_item(columns=columns),))))
    flags = {c["field"]: c["extract_only"] for c in doc["workbooks"][0]["columns"]}
    assert flags == {"SSN": False, "shadow": True}


def test_console_calls_out_a_confidential_column_only_the_extract_holds() -> None:
    columns = (make_column(field="SSN"), make_column(field="shadow", extract_only=True))
    out = ConsoleReporter().render(make_result(items=(make_item(columns=columns),)))
    rows = {line.split()[1]: line for line in out.splitlines() if "Permits" in line}
    assert rows["shadow"].split()[2:] == ["ssn", "high", "no", "yes,", "not", "in", "the", "XML"]
    assert "not in the XML" not in rows["SSN"]


def test_extract_summary_line_sums_every_extract_of_the_item() -> None:
    item = make_item(
        extracts=(
            _extract(),
            _extract(datasource="Staff", rows=345, columns=4, undescribed_columns=0),
            _extract(
                datasource="Old", status="packaged", readable=False, rows=None, columns=0,
                undescribed_columns=0, confidential_columns=0,
            ),
            _extract(datasource="Gone", status="missing", readable=False, rows=None, columns=0,
                     undescribed_columns=0, confidential_columns=0),
        )
    )  # fmt: skip
    line = extracts_summary(item)
    assert line == (
        "4 extracts: 12,345 rows, 13 columns (6 confidential, 2 not described in the XML); "
        "not read: 1 missing, 1 packaged"
    )
    out = ConsoleReporter(width=200).render(make_result(items=(item,)))
    assert f"   {line}" in out.splitlines()


def test_clean_items_carry_the_summary_on_their_line() -> None:
    item = make_item(findings=(), columns=(), extracts=(_extract(undescribed_columns=0),))
    out = ConsoleReporter(width=200).render(make_result(items=(item,)))
    assert (
        "  ok  wb.twbx (workbook); extract: 12,000 rows, 9 columns (3 confidential, 0 not "
        "described in the XML)" in out.splitlines()
    )
