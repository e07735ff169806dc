"""``--format FMT[:PATH]`` parsing and the checks that refuse ambiguous combinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from tableau_audit.reports.targets import ReportTarget, parse_format, plan_targets

KNOWN = ("console", "csv", "json", "junit", "markdown", "sarif")


def _target(fmt: str, path: str | None = None) -> ReportTarget:
    return ReportTarget(format=fmt, path=Path(path) if path is not None else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sarif", _target("sarif")),
        ("SARIF", _target("sarif")),
        ("sarif:out.sarif", _target("sarif", "out.sarif")),
        ("junit:reports/junit results.xml", _target("junit", "reports/junit results.xml")),
        ("json:C:\\out\\r.json", _target("json", "C:\\out\\r.json")),
        ("markdown:-", _target("markdown")),
    ],
)
def test_parse_format(text: str, expected: ReportTarget) -> None:
    assert parse_format(text, KNOWN) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "pdf",
            "unknown format 'pdf' (expected one of: console, csv, json, junit, markdown, sarif)",
        ),
        ("pdf:out.pdf", "unknown format 'pdf'"),
        ("sarif:", "'sarif:': give a file after ':' (or '-' for stdout)"),
        (":out.sarif", "unknown format ''"),
    ],
)
def test_parse_format_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        parse_format(text, KNOWN)


def test_plan_defaults_and_single_output() -> None:
    assert plan_targets((), None) == (_target("console"),)
    assert plan_targets((), Path("r.txt")) == (_target("console", "r.txt"),)
    assert plan_targets((_target("json"),), Path("r.json")) == (_target("json", "r.json"),)


def test_plan_keeps_several_formats_each_with_its_own_destination() -> None:
    targets = (_target("sarif", "a.sarif"), _target("console"), _target("junit", "j.xml"))
    assert plan_targets(targets, None) == targets


@pytest.mark.parametrize(
    ("targets", "output", "message"),
    [
        ((_target("json"), _target("sarif")), Path("x"), "--output goes with a single --format"),
        ((_target("json", "a.json"),), Path("x"), "--output goes with a single --format"),
        ((_target("json"), _target("console")), None, "formats json, console would all write"),
        ((_target("json", "a"), _target("sarif", "./a")), None, "formats json and sarif would"),
    ],
)  # fmt: skip
def test_plan_rejects_ambiguous_combinations(
    targets: tuple[ReportTarget, ...], output: Path | None, message: str
) -> None:
    with pytest.raises(ValueError, match="^" + message):
        plan_targets(targets, output)
