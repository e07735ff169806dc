"""Console reporter: grouping, plain text without a terminal, escaping, scale."""

from __future__ import annotations

import pytest

from tableau_audit.classify.types import Tier
from tableau_audit.findings import Risk, RiskLevel, Severity
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.console import ConsoleReporter, clean
from tableau_audit.rules import ALL_RULES
from tests.factories import (
    make_classification,
    make_column,
    make_finding,
    make_item,
    make_result,
    make_skipped,
)


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def test_registry_holds_the_console_reporter() -> None:
    assert isinstance(REPORTERS["console"], ConsoleReporter)


def test_plain_text_has_no_escape_codes_and_colour_has_them() -> None:
    result = make_result(skipped=(make_skipped(),))
    plain = ConsoleReporter().render(result)
    assert "\x1b" not in plain
    assert plain.isascii()
    assert "\x1b[" in ConsoleReporter().render(result, color=True)


def test_item_sections_group_findings_by_severity_worst_first() -> None:
    findings = (
        make_finding(rule_id="TA301", severity=Severity.HIGH, message="Password stored in 'db'"),
        make_finding(severity=Severity.MEDIUM, message="SSN is never used"),
        make_finding(rule_id="TA902", severity=Severity.INFO, message="partly read"),
    )
    out = _lines(ConsoleReporter().render(make_result(items=(make_item(findings=findings),))))
    heads = [
        line.strip() for line in out if line.strip().split(" (")[0] in {"HIGH", "MEDIUM", "INFO"}
    ]
    assert heads == ["HIGH (1)", "MEDIUM (1)", "INFO (1)"]
    assert out.index("     TA301  Password stored in 'db'") < out.index(
        "     TA101  SSN is never used"
    )


def test_items_with_findings_come_worst_first_then_clean_items_one_line_each() -> None:
    items = (
        make_item(source="a.twbx", findings=(make_finding(severity=Severity.LOW),)),
        make_item(source="b.twbx", findings=(make_finding(severity=Severity.CRITICAL),)),
        make_item(source="c.twbx", findings=(), columns=()),
        make_item(source="d.twbx", findings=(), columns=(make_column(used=True),)),
        make_item(source="dir/sales.twb", name="sales", findings=(), columns=()),
    )
    out = _lines(ConsoleReporter().render(make_result(items=items)))
    sections = [line.split()[1] for line in out if line.startswith("== ")]
    assert sections == ["b.twbx", "a.twbx"]
    assert "No findings (3)" in out
    assert "  ok  dir/sales.twb (workbook)" in out
    assert "  ok  c.twbx (workbook) 'wb'" in out
    assert "  ok  d.twbx (workbook) 'wb': 1 confidential column(s), all used" in out


def test_confidential_column_table_lists_only_confidential_columns() -> None:
    columns = (
        make_column(field="Customer SSN", in_extract=None),
        make_column(field="Gender", classification=make_classification(tier=Tier.LOW)),
        make_column(field="Region", classification=None, used=True),
    )
    out = ConsoleReporter().render(make_result(items=(make_item(columns=columns),)))
    assert "Confidential columns (1 of 3)" in out
    row = next(line for line in _lines(out) if "Customer SSN" in line)
    assert row.split() == ["Permits", "Customer", "SSN", "ssn", "high", "no", "no", "extract"]
    assert "Gender" not in out
    assert "Region" not in out


def test_skipped_inputs_are_listed_with_their_reasons() -> None:
    result = make_result(skipped=(make_skipped("x.tde", "a .tde extract cannot be read"),))
    out = _lines(ConsoleReporter().render(result))
    assert "Could not audit (1)" in out
    start = out.index("Could not audit (1)")
    assert out[start + 1 : start + 3] == ["  x.tde", "      a .tde extract cannot be read"]


def test_summary_line_counts_severities_and_columns() -> None:
    result = make_result(skipped=(make_skipped(),))
    out = ConsoleReporter().render(result)
    assert _lines(out)[-4:] == [
        "Summary: 2 finding(s) (0 critical, 1 high, 1 medium, 0 low, 0 info)",
        "  items: 1 audited, 1 could not be audited",
        "  confidential columns: 1, 1 unused",
        "  by rule: TA101 1, TA901 1",
    ]


def test_incomplete_run_says_so() -> None:
    out = ConsoleReporter().render(make_result(complete=False))
    assert "The run is incomplete" in out


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("evil\x1b[2Jname", "evil\\x1b[2Jname"),
        ("a\nb", "a\\x0ab"),
        ("rtl\u202eexe.txt", "rtl\\u202eexe.txt"),
        ("[bold red]x[/bold red]", "[bold red]x[/bold red]"),
    ],
)
def test_names_cannot_inject_terminal_codes_or_markup(raw: str, shown: str) -> None:
    assert clean(raw) == shown
    item = make_item(
        name=raw,
        findings=(make_finding(message=f"Column {raw} is never used"),),
        columns=(make_column(field=raw),),
    )
    for color in (False, True):
        out = ConsoleReporter(width=200).render(make_result(items=(item,)), color=color)
        assert raw == shown or raw not in out
        assert shown in out


def test_many_findings_of_one_rule_collapse_into_a_count() -> None:
    caches = tuple(
        make_finding(rule_id="TA103", message=f"query cache {i:02}", object_path=(f"member:{i}",))
        for i in range(41)
    )
    item = make_item(findings=(*caches, make_finding()), name="Book")
    out = _lines(ConsoleReporter(max_per_rule=10).render(make_result(items=(item,))))
    assert out[:4] == [
        "tableau-audit 0.1.0: 1 item(s) audited",
        "",
        "== wb.twbx",
        "   workbook 'Book'  risk MEDIUM (40)",
    ]
    shown = [line for line in out if line.startswith("     TA103  query cache")]
    assert shown == [f"     TA103  query cache {i:02}" for i in range(10)]
    assert "     TA103  ... and 31 more TA103 finding(s) (the JSON report lists all)" in out
    assert "     TA101  Confidential column 'SSN' in 'Permits' is never used" in out


def test_hundreds_of_clean_items_stay_one_line_each() -> None:
    clean_items = tuple(
        make_item(source=f"wb{i:03}.twb", findings=(), columns=()) for i in range(150)
    )
    risky = make_item(source="risky.twbx")
    out = _lines(ConsoleReporter().render(make_result(items=(risky, *clean_items))))
    assert sum(1 for line in out if line.startswith("  ok  ")) == 150
    assert len(out) < 150 + 25


def test_output_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    result = make_result(skipped=(make_skipped(),))
    before = ConsoleReporter().render(result)
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ConsoleReporter().render(result) == before


def test_risk_level_and_reasons_are_shown() -> None:
    item = make_item(risk=Risk(level=RiskLevel.CRITICAL, score=95, reasons=("downloadable",)))
    out = _lines(ConsoleReporter().render(make_result(items=(item,))))
    assert out[2:5] == [
        "== wb.twbx",
        "   workbook  risk CRITICAL (95)",
        "   why: downloadable",
    ]


def test_rule_catalogue_lists_every_rule() -> None:
    out = _lines(ConsoleReporter(width=200).render_rules(ALL_RULES))
    rows = {line.split()[0]: line for line in out[2:] if line.strip()}
    assert set(rows) == {rule.id for rule in ALL_RULES}
    for rule in ALL_RULES:
        assert rule.name in rows[rule.id]
        assert rule.severity.label.upper() in rows[rule.id]
