"""SARIF 2.1.0 report, built from plain dicts (as checkov does), for code scanning and CI.

- ``tool.driver.rules`` holds the rules that ran (and any rule a finding names), with the
  metadata written once on each :class:`~tableau_audit.rules.base.Rule`: descriptions, help
  text and markdown, help URI, default level, tags, CWE and GitHub's ``security-severity``.
- Every finding is a result, the TA901 findings of skipped inputs included. Its
  ``partialFingerprints`` carry our fingerprint (rule, artifact, logical path: never a line
  number or a value), so code scanning keeps tracking an alert when the XML moves.
- A local file is a relative URI against ``%SRCROOT%`` (an absolute path becomes a ``file:``
  URI); a server item is its URL. ``region.startLine`` appears when the XML line is known.
- Logical locations name the item › data source › field chain; the chain is stored once in
  ``run.logicalLocations`` (with parent indexes) and each result points into it.
- ``invocations[0].executionSuccessful`` is false when the run was incomplete; expired
  suppressions are its ``toolConfigurationNotifications``.
- Findings that do not gate stay results: a suppressed one carries an ``external`` suppression
  with the configured reason (code scanning then closes it), and when a baseline is in use every
  result has a ``baselineState`` (``unchanged`` for baseline findings, ``new`` for the others).
- With a run history (``--history``), ``result.changes`` decides the ``baselineState`` of the
  gating findings instead: ``new`` or ``unchanged`` (persisting) against the last complete run,
  with ``provenance.firstDetectionTimeUtc`` and ``properties.change``/``firstSeen``. Baseline
  findings stay ``unchanged`` and suppressed ones keep only their suppression. Resolved findings
  follow as ``absent`` results with ``kind: pass`` and ``level: none`` (SARIF 3.27.9/3.27.10: the
  rule ran and found no problem; a level other than ``none`` is only allowed for ``kind: fail``),
  their severity kept in ``properties.severity``; findings of items this run could not audit are
  carried over ``unchanged`` (``properties.change: unchecked``), so no viewer closes them.

NOTE: no timestamps, so two runs over the same input give byte-identical files (house style:
deterministic output); the invocation's start and end times are optional in SARIF. First-seen
times come from the history, not from the clock.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from tableau_audit import __version__
from tableau_audit.changes import Change, ChangedFinding
from tableau_audit.findings import AuditResult, Finding, ItemReport, Severity
from tableau_audit.reports.changes_view import change_counts, placed_with_changes
from tableau_audit.reports.interface import summarize
from tableau_audit.reports.json import summary_to_dict
from tableau_audit.reports.places import (
    BASELINE,
    SEPARATOR,
    SUPPRESSED,
    Placed,
    path_parts,
)

if TYPE_CHECKING:
    from tableau_audit.rules.base import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "tableau-audit"
INFORMATION_URI = "https://github.com/tableau-audit/tableau-audit"
FINGERPRINT_KEY = "tableauAudit/v1"
"""``partialFingerprints`` key; the ``/v1`` changes only if the fingerprint recipe does."""
SRCROOT = "%SRCROOT%"
"""``uriBaseId`` of relative local paths (the checkout root in code scanning)."""
AUTOMATION_ID = "tableau-audit/"
"""Category of the run for code scanning (a trailing slash: no per-run instance id)."""

# NOTE: rules whose evidence is a column classification can misfire on a column name, so they
# are declared "medium" precision; the others test facts in the file or on the server.
_CLASSIFICATION_TAGS = frozenset({"privacy", "data-exposure"})

_URL_SAFE = ":/?#[]@!$&'()*+,;=%-._~"
_MARKDOWN_MARKS = re.compile(r"\*\*|\*|`")
_LEAD_IN = re.compile(r"^\*\*[^*]+\*\*\s*")

Json = dict[str, Any]

_BASELINE_STATES = {
    Change.NEW: "new",
    Change.PERSISTING: "unchanged",
    Change.UNCHECKED: "unchanged",
    Change.RESOLVED: "absent",
}


class SarifReporter:
    """Renders an :class:`AuditResult` as one SARIF 2.1.0 log with one run."""

    name = "sarif"

    def __init__(self, *, rules: Sequence[Rule] | None = None) -> None:
        self._rules = tuple(rules) if rules is not None else None
        """The rule catalogue; None reads ``ALL_RULES`` when rendering (no import-time cost)."""

    def render(
        self, result: AuditResult, *, color: bool = False, fail_on: Severity = Severity.HIGH
    ) -> str:
        """The SARIF log as JSON text (``color`` and ``fail_on`` are ignored)."""
        return json.dumps(sarif_log(result, self._catalogue()), indent=2, ensure_ascii=False) + "\n"

    def _catalogue(self) -> Mapping[str, Rule]:
        if self._rules is None:
            from tableau_audit.rules import ALL_RULES

            return {rule.id: rule for rule in ALL_RULES}
        return {rule.id: rule for rule in self._rules}


def sarif_log(result: AuditResult, catalogue: Mapping[str, Rule]) -> Json:
    """The whole SARIF document as plain dicts."""
    placed = placed_with_changes(result)
    rule_ids = sorted(set(result.rules_run) | {p.finding.rule_id for p, _ in placed})
    rule_index = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    logical = _LogicalLocations()
    with_baseline = bool(result.baseline)
    results = [_result(p, c, rule_index, logical, with_baseline) for p, c in placed]
    run: Json = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(rule_id, catalogue.get(rule_id)) for rule_id in rule_ids],
            }
        },
        "automationDetails": {"id": AUTOMATION_ID},
        "invocations": [_invocation(result)],
        "results": results,
        "properties": {
            "complete": result.complete,
            "items": [_item_properties(item) for item in result.items],
            "summary": {**summary_to_dict(summarize(result)), **change_counts(result)},
        },
    }
    if logical.nodes:
        run["logicalLocations"] = logical.nodes
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _descriptor(rule_id: str, rule: Rule | None) -> Json:
    """``reportingDescriptor`` of one rule; a rule unknown to the catalogue gets its id only."""
    if rule is None:
        return {"id": rule_id}
    tags = [*rule.tags, "security"]
    if rule.cwe is not None:
        tags.append(f"external/cwe/cwe-{rule.cwe}")
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": _plain(_first_paragraph(rule.help)) or rule.summary},
        "help": {"text": _plain(rule.help), "markdown": rule.help},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {
            "tags": tags,
            "security-severity": rule.severity.security_severity,
            "precision": "medium" if _CLASSIFICATION_TAGS & set(rule.tags) else "high",
            "problem.severity": _problem_severity(rule.severity),
        },
    }


def _problem_severity(severity: Severity) -> str:
    """CodeQL's ``problem.severity``: error / warning / recommendation."""
    level = severity.sarif_level
    return "recommendation" if level == "note" else level


def _first_paragraph(markdown: str) -> str:
    """The help's first paragraph on one line, without its bold lead-in ("**Why it matters.**")."""
    first = markdown.strip().split("\n\n", 1)[0]
    return " ".join(_LEAD_IN.sub("", first).split())


def _plain(markdown: str) -> str:
    """Help text without emphasis and code marks, for viewers that do not render markdown."""
    return _MARKDOWN_MARKS.sub("", markdown).strip()


def _invocation(result: AuditResult) -> Json:
    """Whether the run completed; expired suppressions as configuration warnings."""
    invocation: Json = {"executionSuccessful": result.complete}
    if result.expired_suppressions:
        invocation["toolConfigurationNotifications"] = [
            {
                "level": "warning",
                "message": {
                    "text": f"suppression #{e.index} ({e.selector}) expired on "
                    f"{e.expires.isoformat()}: {e.reason}; {e.findings} finding(s) gate again"
                },
            }
            for e in result.expired_suppressions
        ]
    return invocation


def _result(
    placed: Placed,
    changed: ChangedFinding | None,
    rule_index: Mapping[str, int],
    logical: _LogicalLocations,
    with_baseline: bool,
) -> Json:
    finding = placed.finding
    location: Json = {"physicalLocation": _physical(finding)}
    if placed.item is not None:
        location["logicalLocations"] = [logical.add(placed.item, finding.location.object_path)]
    properties: Json = {
        "severity": finding.severity.label,
        "security-severity": finding.severity.security_severity,
    }
    if placed.item is not None:
        properties["risk-level"] = placed.item.risk.level.label
    resolved = changed is not None and changed.change is Change.RESOLVED
    sarif: Json = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index[finding.rule_id],
        # NOTE: a resolved finding is no problem in this run: kind "pass" requires level "none".
        **({"kind": "pass"} if resolved else {}),
        "level": "none" if resolved else finding.severity.sarif_level,
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    if placed.status == SUPPRESSED:
        # NOTE: "external": the suppression lives in the configuration, not in the workbook.
        sarif["suppressions"] = [
            {"kind": "external", "status": "accepted", "justification": placed.reason}
        ]
    elif placed.status == BASELINE:
        sarif["baselineState"] = "unchanged"
    elif changed is not None:
        # NOTE: the history takes precedence over --baseline for gating findings: "new" then
        # means new since the last complete run, which is what a nightly report is about.
        sarif["baselineState"] = _BASELINE_STATES[changed.change]
        sarif["provenance"] = {"firstDetectionTimeUtc": changed.first_seen}
        properties["change"] = changed.change.value
        properties["firstSeen"] = changed.first_seen
        if changed.reopened:
            properties["reopened"] = True
    elif with_baseline:
        sarif["baselineState"] = "new"
    return sarif


def _physical(finding: Finding) -> Json:
    physical: Json = {"artifactLocation": artifact_location(finding.location.artifact)}
    line = finding.location.line
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return physical


def artifact_location(artifact: str) -> Json:
    """URI of an audited item: its URL on a server, else a path (relative to ``%SRCROOT%``)."""
    # NOTE: surrogateescape: a file name that is not UTF-8 keeps its original bytes (%FF).
    if urlsplit(artifact).scheme.lower() in ("http", "https"):
        return {"uri": quote(artifact, safe=_URL_SAFE, errors="surrogateescape")}
    path = PurePath(artifact)
    if path.is_absolute():
        return {"uri": "file://" + quote(path.as_posix(), safe="/", errors="surrogateescape")}
    return {"uri": quote(path.as_posix(), safe="/", errors="surrogateescape"), "uriBaseId": SRCROOT}


def _item_properties(item: ItemReport) -> Json:
    """What code scanning cannot show natively: each item's risk level and why."""
    return {
        "source": item.source,
        "kind": item.kind.value,
        "name": item.name,
        "project": item.project,
        "risk": {
            "level": item.risk.level.label,
            "score": item.risk.score,
            "reasons": list(item.risk.reasons),
        },
    }


class _LogicalLocations:
    """The run's ``logicalLocations``: item › data source › field, each node stored once."""

    def __init__(self) -> None:
        self.nodes: list[Json] = []
        self._index: dict[tuple[str, ...], int] = {}

    def add(self, item: ItemReport, object_path: tuple[str, ...]) -> Json:
        """Store a finding's chain of nodes; return a reference to its innermost node."""
        # NOTE: qualified names start with the item's source, not its name: two workbooks may
        # share a name, and the schema wants the run's logical locations to be unique.
        steps = [(item.kind.value, item.name or item.source, item.source)]
        steps += [(p.kind, p.name, p.name) for p in path_parts(object_path)]
        key: tuple[str, ...] = ()
        parent: int | None = None
        qualified: list[str] = []
        for kind, name, qualifier in steps:
            key = (*key, kind, qualifier)
            qualified.append(qualifier)
            if key not in self._index:
                node: Json = {"name": name, "fullyQualifiedName": SEPARATOR.join(qualified)}
                node["kind"] = kind
                if parent is not None:
                    node["parentIndex"] = parent
                self._index[key] = len(self.nodes)
                self.nodes.append(node)
            parent = self._index[key]
        assert parent is not None  # steps always holds the item itself
        innermost = self.nodes[parent]
        return {
            "index": parent,
            "name": innermost["name"],
            "fullyQualifiedName": innermost["fullyQualifiedName"],
            "kind": innermost["kind"],
        }
