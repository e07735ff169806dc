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
