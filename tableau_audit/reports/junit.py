"""JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure DevOps).

One ``<testcase>`` per audited item (``classname`` = its kind, ``name`` = its source). It fails
when the item has findings at or above ``--fail-on``: the ``<failure>`` lists them, and
``<system-out>`` gives the risk level with its reasons and the findings below the threshold.
Inputs that could not be audited are errored test cases (TA901), and an incomplete run adds an
errored ``run`` test case, whatever their severity: CI must not read "broken" as "passed".

The document is built with lxml, which escapes text and attributes; characters that XML 1.0
cannot hold (control characters, lone surrogates from undecodable file names) are written as
``\\xNN`` escapes, so the file is always well-formed. No times or host names: deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from tableau_audit import __version__
from tableau_audit.findings import AuditResult, Finding, ItemReport, Severity, Skipped
from tableau_audit.reports.console import clean
from tableau_audit.reports.places import OPEN, at_or_above, placed_findings, where

SUITE_NAME = "tableau-audit"

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text that XML 1.0 can hold: control, bidi and non-characters shown as escapes."""
    text = "\n".join(clean(line) for line in text.split("\n"))
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _attribute(text: str) -> str:
    return xml_text(" ".join(text.splitlines()))


class JunitReporter:
    """Renders an :class:`AuditResult` as a JUnit XML ``<testsuites>`` document."""

    name = "junit"

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The XML document; ``fail_on`` decides which items fail (``color`` is ignored)."""
        accepted = _accepted_by_source(result)
        cases = [_item_case(item, fail_on, accepted.get(item.source, [])) for item in result.items]
        cases += [_skipped_case(skip) for skip in result.skipped]
        if not result.complete:
            cases.append(_incomplete_case())
        counts = {
            "tests": str(len(cases)),
            "failures": str(sum(1 for c in cases if c.find("failure") is not None)),
            "errors": str(sum(1 for c in cases if c.find("error") is not None)),
            "skipped": "0",
            "time": "0",
        }
        root = etree.Element("testsuites", attrib={"name": SUITE_NAME, **counts})
        suite = etree.SubElement(root, "testsuite", attrib={"name": SUITE_NAME, **counts})
        properties = etree.SubElement(suite, "properties")
        for key, value in (
            ("tool_version", __version__),
            ("fail_on", fail_on.label),
            ("complete", "true" if result.complete else "false"),
            ("suppressed", str(len(result.suppressed))),
            ("baseline", str(len(result.baseline))),
            ("expired_suppressions", str(len(result.expired_suppressions))),
        ):
            etree.SubElement(properties, "property", name=key, value=value)
        suite.extend(cases)
        etree.indent(root, space="  ")
        body = etree.tostring(root, encoding="unicode")
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _case(classname: str, name: str) -> etree._Element:
    return etree.Element("testcase", classname=classname, name=_attribute(name), time="0")


def _accepted_by_source(result: AuditResult) -> dict[str, list[str]]:
    """Per item source: one line per suppressed or baseline finding (they never fail)."""
    lines: dict[str, list[str]] = {}
    for placed in placed_findings(result, accepted=True):
        if placed.status != OPEN:
            why = f" ({placed.reason})" if placed.reason else ""
            text = f"{placed.status}{why}: {_finding_lines((placed.finding,))}"
            lines.setdefault(placed.source, []).append(text)
    return lines


def _item_case(item: ItemReport, fail_on: Severity, accepted: list[str]) -> etree._Element:
    case = _case(item.kind.value, item.source)
    failing = at_or_above(item.findings, fail_on)
    if failing:
        rules = sorted({f.rule_id for f in failing})
        failure = etree.SubElement(
            case,
            "failure",
            message=f"{len(failing)} finding(s) at or above {fail_on.label}",
            type=",".join(rules),
        )
        failure.text = xml_text(_finding_lines(failing))
    out = [f"risk {item.risk.level.label} ({item.risk.score})"]
    out += [f"  why: {reason}" for reason in item.risk.reasons]
    below = [f for f in item.findings if f.severity < fail_on]
    if below:
        out.append(f"findings below {fail_on.label}:")
        out.append(_finding_lines(below))
    if accepted:
        out.append("accepted findings (not gating):")
        out.extend(accepted)
    etree.SubElement(case, "system-out").text = xml_text("\n".join(out))
    return case


def _skipped_case(skip: Skipped) -> etree._Element:
    case = _case("input", skip.source)
    error = etree.SubElement(
        case, "error", message=_attribute(skip.reason), type=skip.finding.rule_id
    )
    error.text = xml_text(skip.finding.message)
    return case


def _incomplete_case() -> etree._Element:
    case = _case("run", "completeness")
    message = "the run is incomplete: some inputs were not reached"
    etree.SubElement(case, "error", message=message, type="incomplete").text = message
    return case


def _finding_lines(findings: Iterable[Finding]) -> str:
    lines = []
    for finding in findings:
        place = where(finding)
        at = f" [{place}]" if place else ""
        line = f" (line {finding.location.line})" if finding.location.line else ""
        lines.append(
            f"{finding.severity.label.upper()} {finding.rule_id}{at}{line}: {finding.message}"
        )
    return "\n".join(lines)
