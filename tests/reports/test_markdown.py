"""Markdown reporter: golden file, escaping of hostile names, summary tables and folding."""

from __future__ import annotations

import re

import pytest

from tableau_audit.findings import Severity
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.markdown import MarkdownReporter, escape
from tests.factories import make_finding, make_item, make_result, make_skipped
from tests.reports.golden import HOSTILE_WORKBOOK, check_golden, golden_result, golden_rules


def _render(reporter: MarkdownReporter | None = None, **overrides: object) -> str:
    reporter = reporter or MarkdownReporter(rules=golden_rules())
    return reporter.render(make_result(**overrides))


def test_registered_under_markdown() -> None:
    assert isinstance(REPORTERS["markdown"], MarkdownReporter)


def test_golden_file() -> None:
    text = MarkdownReporter(rules=golden_rules()).render(golden_result())
    check_golden("report.md", text)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("a|b", r"a\|b"),
        ("`rm -rf`", r"\`rm -rf\`"),
        ("**bold** _it_ ~x~", r"\*\*bold\*\* \_it\_ \~x\~"),
        ("[click](https://evil.example)", r"\[click\](https:&#8203;//evil.example)"),
        ("see www.evil.example", "see www&#8203;.evil.example"),
        ("@org/security", "@&#8203;org/security"),
        ("a & b", "a &amp; b"),
        ("back\\slash", r"back\\slash"),
        ("# not a heading", r"\# not a heading"),
        ("two\nlines\r\tand tab", "two lines and tab"),
        ("esc\x1b[2J bidi\u202e", r"esc\x1b\[2J bidi\u202e"),
        ("$x^2$", r"\$x^2\$"),
        ("Customer SSN", "Customer SSN"),
    ],
)
def test_escape(raw: str, expected: str) -> None:
    assert escape(raw) == expected


def test_hostile_names_never_reach_the_comment_raw() -> None:
    text = MarkdownReporter(rules=golden_rules()).render(golden_result())
    assert "<script>" not in text
    assert HOSTILE_WORKBOOK not in text
    assert "\x1b" not in text
    assert "@security-team" not in text  # would ping a team from a pull-request comment
    # Every table row keeps its four cells: no escaped | splits a cell.
    for row in (line for line in text.splitlines() if line.startswith("| ")):
        cells = re.split(r"(?<!\\)\|", row)
        assert len(cells) in (4, 6, 7), row  # 2 cells in summaries, 4 in findings, 5 accepted


def test_summary_tables_come_first_with_exact_counts() -> None:
    text = MarkdownReporter(rules=golden_rules()).render(golden_result())
    head = text.split("### ", 1)[0]
    assert "| high | 1 |\n| medium | 1 |\n| low | 0 |\n| none | 1 |" in head
    assert "| high | 2 |\n| medium | 3 |\n| low | 0 |\n| info | 0 |" in head
    assert "**5** finding(s), worst **high**; 2 at or above `--fail-on high`." in head
    assert "the run is incomplete" not in text


def test_items_are_worst_first_with_risk_reasons() -> None:
    text = MarkdownReporter(rules=golden_rules()).render(golden_result())
    headings = [line for line in text.splitlines() if line.startswith("### ")]
    assert headings == [
        "### reports/permits dept.twbx: risk high (72)",
        "### https:&#8203;//tableau.example.com/\\#/site/hr/workbooks/1234: risk medium (40)",
        "### No findings (1)",
        "### Could not audit (1)",
        "### Accepted findings (2)",
    ]
    assert "Why: a stored password; 2 unused" in text


def test_fail_on_is_named_and_incomplete_runs_warn() -> None:
    text = _render(complete=False)
    assert "0 at or above `--fail-on high`" in text
    assert "> **Warning:** the run is incomplete" in text
    assert "1 at or above `--fail-on medium`" in MarkdownReporter().render(
        make_result(), fail_on=Severity.MEDIUM
    )


def test_long_tables_and_lists_fold_into_details() -> None:
    findings = tuple(
        make_finding(object_path=("datasource:Permits", f"column:C{n:02}")) for n in range(11)
    )
    many = make_item(findings=findings)
    clean = tuple(make_item(source=f"c{n}.twb", findings=()) for n in range(3))
    skipped = tuple(make_skipped(f"bad{n}.twb") for n in range(3))
    text = _render(MarkdownReporter(fold_after=10), items=(many, *clean), skipped=skipped)
    assert text.count("<details>") == 1
    assert "<details><summary>11 findings</summary>\n\n| Severity |" in text
    folded = _render(MarkdownReporter(fold_after=2), items=(many, *clean), skipped=skipped)
    assert folded.count("<details>") == 3
    assert "<summary>3 items</summary>" in folded
    assert "<summary>3 inputs</summary>" in folded


def test_rule_ids_link_to_their_help() -> None:
    text = _render()
    assert (
        "[TA101](https://github.com/tableau-audit/tableau-audit/blob/main/docs/rules.md#ta101)"
        in text
    )


def test_deterministic() -> None:
    reporter = MarkdownReporter()
    assert reporter.render(golden_result()) == reporter.render(golden_result())


def test_accepted_findings_and_expired_suppressions_are_shown() -> None:
    text = MarkdownReporter(rules=golden_rules()).render(golden_result())
    assert "Not counted: 1 suppressed finding(s), 1 already in the baseline" in text
    assert (
        "> **Expired suppression** #1 (TA201 workbook='Payroll') expired on 2026-01-31: "
        "until the re-org. 1 finding(s) count again." in text
    )
    assert (
        "| suppressed | TA101 | reports/permits dept.twbx | Permits › Employee ID "
        "| Masked at source &lt;b&gt;HR-42&lt;/b&gt; \\| ok |" in text
    )
    assert "Not counted" not in _render()
