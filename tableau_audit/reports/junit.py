"""JUnit XML report, for CI systems that show test results (GitLab, Jenkins, Azure DevOps).

One ``<testcase>`` per audited item (``classname`` = its kind, ``name`` = its source). It fails
when the item has findings at or above ``--fail-on``: the ``<failure>`` lists them, and
``<system-out>`` gives the risk level with its reasons and the findings below the threshold.
Inputs that could not be audited are errored test cases (TA901), and an incomplete run adds an
errored ``run`` test case, whatever their severity: CI must not read "broken" as "passed".

With a run history (``--history``), each finding line says whether it is ``new`` or
``persisting`` since the last complete run, with its first-seen date, and a failure's message
counts the new ones; the suite's properties carry the counts and its ``<system-out>`` the
headline and the findings resolved (or not re-checked) since then. Which items fail does not
change: ``--fail-on-new`` is the CLI's exit code, not the report's.

The document is built with lxml, which escapes text and attributes; characters that XML 1.0
cannot hold (control characters, lone surrogates from undecodable file names) are written as
``\\xNN`` escapes, so the file is always well-formed. No times or host names: deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from lxml import etree

from tableau_audit import __version__
from tableau_audit.changes import Change, ChangedFinding, RunChanges
from tableau_audit.findings import AuditResult, Finding, ItemReport, Severity, Skipped
from tableau_audit.reports.changes_view import headline, present_changes
from tableau_audit.reports.console import clean
from tableau_audit.reports.places import (
    OPEN,
    SEPARATOR,
    at_or_above,
    path_parts,
    placed_findings,
    where,
)

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
        changed = present_changes(result)
        cases = [
            _item_case(item, fail_on, accepted.get(item.source, []), changed)
            for item in result.items
        ]
        cases += [_skipped_case(skip, changed) for skip in result.skipped]
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
            *_change_properties(result.changes),
        ):
            etree.SubElement(properties, "property", name=key, value=value)
        suite.extend(cases)
        if result.changes is not None:
            # NOTE: after the test cases: the JUnit schema's order is properties, testcase*,
            # system-out. Resolved findings belong to no item that fails, so to the run.
            etree.SubElement(suite, "system-out").text = xml_text(_changes_out(result.changes))
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
            text = f"{placed.status}{why}: {_finding_lines((placed.finding,), {})}"
            lines.setdefault(placed.source, []).append(text)
    return lines


def _item_case(
    item: ItemReport,
    fail_on: Severity,
    accepted: list[str],
    changed: Mapping[str, ChangedFinding],
) -> etree._Element:
    case = _case(item.kind.value, item.source)
    failing = at_or_above(item.findings, fail_on)
    if failing:
        rules = sorted({f.rule_id for f in failing})
        message = f"{len(failing)} finding(s) at or above {fail_on.label}"
        if changed:
            new = sum(1 for f in failing if _is_new(changed.get(f.fingerprint)))
            message += f", {new} new since last run"
        failure = etree.SubElement(case, "failure", message=message, type=",".join(rules))
        failure.text = xml_text(_finding_lines(failing, changed))
    out = [f"risk {item.risk.level.label} ({item.risk.score})"]
    out += [f"  why: {reason}" for reason in item.risk.reasons]
    below = [f for f in item.findings if f.severity < fail_on]
    if below:
        out.append(f"findings below {fail_on.label}:")
        out.append(_finding_lines(below, changed))
    if accepted:
        out.append("accepted findings (not gating):")
        out.extend(accepted)
    etree.SubElement(case, "system-out").text = xml_text("\n".join(out))
    return case


def _skipped_case(skip: Skipped, changed: Mapping[str, ChangedFinding]) -> etree._Element:
    case = _case("input", skip.source)
    error = etree.SubElement(
        case, "error", message=_attribute(skip.reason), type=skip.finding.rule_id
    )
    error.text = xml_text(
        skip.finding.message + _change_mark(changed.get(skip.finding.fingerprint))
    )
    return case


def _incomplete_case() -> etree._Element:
    case = _case("run", "completeness")
    message = "the run is incomplete: some inputs were not reached"
    etree.SubElement(case, "error", message=message, type="incomplete").text = message
    return case


def _finding_lines(findings: Iterable[Finding], changed: Mapping[str, ChangedFinding]) -> str:
    lines = []
    for finding in findings:
        place = where(finding)
        at = f" [{place}]" if place else ""
        line = f" (line {finding.location.line})" if finding.location.line else ""
        lines.append(
            f"{finding.severity.label.upper()} {finding.rule_id}{at}{line}: {finding.message}"
            + _change_mark(changed.get(finding.fingerprint))
        )
    return "\n".join(lines)


def _is_new(changed: ChangedFinding | None) -> bool:
    return changed is not None and changed.change is Change.NEW


def _change_mark(changed: ChangedFinding | None) -> str:
    """`` [new, first seen 2026-11-26]`` / `` [persisting, ...]``; empty without a history."""
    if changed is None:
        return ""
    label = "new again" if changed.reopened else changed.change.value
    return f" [{label}, first seen {changed.first_seen_date}]"


def _change_properties(changes: RunChanges | None) -> list[tuple[str, str]]:
    """The suite's ``changes_*`` properties; none without a history."""
    if changes is None:
        return []
    reference = str(changes.reference.id) if changes.reference is not None else "none"
    counts = [(f"changes_{key}", str(count)) for key, count in changes.counts.items()]
    return [*counts, ("changes_reference_run", reference)]


def _changes_out(changes: RunChanges) -> str:
    """The run's ``system-out``: the headline, then resolved and not re-checked findings."""
    out = [headline(changes)]
    for title, found in (
        ("resolved since last run:", changes.resolved),
        ("not re-checked (their items could not be audited):", changes.unchecked),
    ):
        if found:
            out.append(title)
            out.extend(_gone_line(f) for f in found)
    return "\n".join(out)


def _gone_line(changed: ChangedFinding) -> str:
    place = SEPARATOR.join(p.name for p in path_parts(changed.object_path))
    at = f" [{place}]" if place else ""
    return (
        f"{changed.severity.label.upper()} {changed.rule_id} {changed.artifact}{at}: "
        f"{changed.message} (first seen {changed.first_seen_date})"
    )
