"""Engine behaviours that no single rule owns."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.reports import REPORTERS

RULE_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rules"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file names are bytes")
def test_file_names_that_are_not_utf8_are_reported_not_fatal(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    good = os.fsdecode(folder + b"/bad\xffname.twb")
    empty = os.fsdecode(folder + b"/empty\xfe.twbx")
    shutil.copyfile(RULE_FIXTURES / "TA303_pass_no_secret.twb", good)
    Path(empty).write_bytes(b"")

    result = audit([tmp_path], AuditConfig())

    assert [item.name for item in result.items] == ["bad\ufffdname"]
    assert [s.source for s in result.skipped] == [f"{tmp_path}/empty\ufffd.twbx"]
    for reporter in REPORTERS.values():
        reporter.render(result).encode("utf-8")  # raises on a lone surrogate


CANARY = "078-05-1120-planted"


def test_an_internal_error_on_one_workbook_skips_it_and_never_logs_its_message(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tableau_audit.engine as engine

    real = engine.classify_column  # type: ignore[attr-defined]

    def failing(**kwargs: object) -> object:
        if kwargs["datasource_caption"] == "Customers":
            raise ValueError(f"invalid literal for int(): {CANARY!r}")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "classify_column", failing)
    bad = RULE_FIXTURES / "TA101_fail_unused_ssn_email.twb"
    good = RULE_FIXTURES / "TA303_pass_no_secret.twb"
    # NOTE: the package logger's own level (set by earlier CLI runs) must let DEBUG through too.
    with caplog.at_level("DEBUG", logger="tableau_audit"):
        result = audit([bad, good], AuditConfig())
    assert [s.source for s in result.skipped] == [str(bad)]
    assert result.skipped[0].reason == "internal error while auditing (ValueError)"
    assert [item.source for item in result.items] == [str(good)]
    assert "Traceback" in caplog.text
    assert CANARY not in caplog.text


def test_cli_internal_error_shows_the_type_and_a_traceback_without_the_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    import tableau_audit.engine as engine
    from tableau_audit.cli import cli

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError(CANARY)

    monkeypatch.setattr(engine, "audit", broken)
    runner = CliRunner()
    result = runner.invoke(cli, ["scan", "-vv", str(RULE_FIXTURES / "TA303_pass_no_secret.twb")])
    assert result.exit_code == 2
    assert "internal error (RuntimeError)" in result.output
    assert "Traceback" in result.output
    assert CANARY not in result.output
