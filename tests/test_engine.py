"""Engine behaviours that no single rule owns."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


class _StoredSite:
    """A site whose two workbooks are both unchanged: audited on their stored analyses."""

    def __init__(self) -> None:
        from tableau_audit.model import ArtifactKind, ServerItem, SiteSnapshot
        from tableau_audit.parsing import load_file
        from tableau_audit.sources.cache import StoredAnalysis

        self.site = SiteSnapshot(site_id="s", content_url="demo")
        self.stored = {
            name: StoredAnalysis(workbook=load_file(RULE_FIXTURES / f"{name}.twb"))
            for name in ("TA101_fail_unused_ssn_email", "TA303_pass_no_secret")
        }
        self.server_items = [
            ServerItem(kind=ArtifactKind.WORKBOOK, id=name, name=name, url=f"http://x/{name}")
            for name in self.stored
        ]

    def snapshot(self) -> object:
        return self.site

    def items(self) -> Iterator[object]:
        from tableau_audit.sources.cache import UnchangedItem

        return iter([UnchangedItem(item=item) for item in self.server_items])

    def is_current(self, item: object) -> bool:
        return True

    def load(self, item: Any) -> object:
        return self.stored[item.id]

    def store(self, item: object, analysis: object) -> None:
        raise AssertionError("nothing is downloaded, so nothing is stored")


def test_an_internal_error_on_an_unchanged_item_skips_only_that_item(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tableau_audit.engine_server as engine_server

    failing = _failing_for("TA101_fail_unused_ssn_email")
    monkeypatch.setattr(engine_server, "audit_workbook", failing)
    site = _StoredSite()
    with caplog.at_level("DEBUG", logger="tableau_audit"):
        result = engine_server.audit_server(site, AuditConfig(), cache=site)  # type: ignore[arg-type]
    assert [s.source for s in result.skipped] == ["http://x/TA101_fail_unused_ssn_email"]
    assert result.skipped[0].reason == "internal error while auditing (ValueError)"
    assert [item.source for item in result.items] == ["http://x/TA303_pass_no_secret"]
    assert CANARY not in caplog.text


def _failing_for(item_id: str) -> Any:
    import tableau_audit.engine as engine

    real = engine.audit_workbook

    def audit_workbook(workbook: Any, *args: Any, **kwargs: Any) -> Any:
        if workbook.item_id == item_id:
            raise ValueError(f"invalid literal for int(): {CANARY!r}")
        return real(workbook, *args, **kwargs)

    return audit_workbook


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
