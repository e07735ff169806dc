"""JUnit reporter: golden file, failures at --fail-on, errored skipped inputs, valid XML."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from tableau_audit.findings import Finding, Location, Severity
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.junit import JunitReporter, xml_text
from tests.factories import make_finding, make_item, make_result
from tests.reports.golden import SERVER_URL, check_golden, golden_result


def _parse(text: str) -> etree._Element:
    # NOTE: our own output; a plain parser is fine (and proves well-formedness).
    return etree.fromstring(text.encode("utf-8"))


def _cases(text: str) -> list[tuple[str, str, str]]:
    """(classname, name, outcome) per test case; outcome is failure / error / passed."""
    root = _parse(text)
    outcome = []
    for case in root.iter("testcase"):
        kind = next((c.tag for c in case if c.tag in ("failure", "error")), "passed")
        outcome.append((case.get("classname", ""), case.get("name", ""), kind))
    return outcome


def test_registered_under_junit() -> None:
    assert isinstance(REPORTERS["junit"], JunitReporter)


def test_golden_file() -> None:
    check_golden("report.junit.xml", JunitReporter().render(golden_result()))


@pytest.mark.parametrize(
    ("fail_on", "outcomes", "failures"),
    [
        (Severity.CRITICAL, ("passed", "passed"), "0"),
        (Severity.HIGH, ("failure", "passed"), "1"),
        (Severity.MEDIUM, ("failure", "failure"), "2"),
        (Severity.INFO, ("failure", "failure"), "2"),
    ],
)
def test_items_fail_at_or_above_fail_on(
    fail_on: Severity, outcomes: tuple[str, str], failures: str
) -> None:
    text = JunitReporter().render(golden_result(), fail_on=fail_on)
    assert _cases(text) == [
        ("workbook", "reports/permits dept.twbx", outcomes[0]),
        ("workbook", SERVER_URL, outcomes[1]),
        ("workbook", "clean.twb", "passed"),
        ("input", "broken dir/bad.twb", "error"),  # whatever the threshold
    ]
    root = _parse(text)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", failures, "1")
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", failures, "1")


def test_failure_lists_the_failing_findings_and_system_out_the_rest() -> None:
    root = _parse(JunitReporter().render(golden_result(), fail_on=Severity.HIGH))
    case = root.find(".//testcase[@name='reports/permits dept.twbx']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "TA301"
    assert failure.get("message") == "1 finding(s) at or above high"
    assert (failure.text or "").splitlines() == [
        "HIGH TA301 [Permits › pg › password] (line 42): A password is stored for connection "
        "'pg' of 'Permits <script>alert(1)</script> | `x`'"
    ]
    out = (case.findtext("system-out") or "").splitlines()
    assert out[:3] == ["risk high (72)", "  why: a stored password", "  why: 2 unused"]
    assert out[3] == "findings below high:"
    assert [line.split(" ", 2)[:2] for line in out[4:6]] == [["MEDIUM", "TA101"]] * 2
    assert out[6:] == [
        "accepted findings (not gating):",
        "suppressed (Masked at source <b>HR-42</b> | ok): MEDIUM TA101 [Permits › Employee ID]: "
        "Confidential column 'Employee ID' in 'Permits' is never used",
    ]
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert (properties["suppressed"], properties["baseline"]) == ("1", "1")


def test_incomplete_run_adds_an_errored_case() -> None:
    text = JunitReporter().render(make_result(items=(make_item(findings=()),), complete=False))
    assert _cases(text)[-1] == ("run", "completeness", "error")
    assert _parse(text).get("errors") == "1"


def test_hostile_names_stay_text_and_the_document_stays_well_formed() -> None:
    name = '<script>alert(1)</script> & "q" \x00\x1b\x7f\ufffe \udcff ]]>'
    finding = Finding(
        rule_id="TA301",
        severity=Severity.HIGH,
        message=f"A password is stored in {name}",
        location=Location(artifact=name, object_path=(f"datasource:{name}",)),
        fingerprint="0" * 32,
    )
    # NOTE: replace(), because make_item() fingerprints a default finding on the surrogate.
    item = dataclasses.replace(make_item(), source=name, name=name, findings=(finding,))
    text = JunitReporter().render(make_result(items=(item,)))
    root = _parse(text)
    case = root.find(".//testcase")
    assert case is not None
    expected = '<script>alert(1)</script> & "q" \\x00\\x1b\\x7f\\ufffe \\udcff ]]>'
    assert case.get("name") == expected
    failure = case.find("failure")
    assert failure is not None
    assert (failure.text or "").endswith(f"A password is stored in {expected}")
    assert "<script>" not in text  # escaped in the serialised form


def test_xml_text_keeps_newlines_and_escapes_the_rest() -> None:
    assert xml_text("a\nb\tc\x0b") == "a\nb\\x09c\\x0b"


def test_deterministic() -> None:
    assert JunitReporter().render(golden_result()) == JunitReporter().render(golden_result())


def test_findings_only_below_fail_on_never_fail() -> None:
    low = make_item(findings=(make_finding(severity=Severity.LOW),))
    assert _cases(JunitReporter().render(make_result(items=(low,)))) == [
        ("workbook", "wb.twbx", "passed")
    ]
