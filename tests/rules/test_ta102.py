"""TA102 hidden-confidential-column-in-extract, on generated packages with real .hyper files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tableau_audit.findings import Severity
from tests.rules.conftest import findings_of, flagged_paths, run

pytestmark = pytest.mark.hyper


def test_ta102_fail_hidden_ssn_still_in_extract(generated_samples: Path) -> None:
    result = run(generated_samples / "hidden_in_extract.twbx")
    paths = flagged_paths(result, "TA102")
    assert len(paths) == 1
    [(_datasource, column)] = paths
    assert column == "column:SSN"
    [finding] = findings_of(result, "TA102")
    assert finding.severity is Severity.HIGH
    assert finding.evidence["in_extract"] is True
    # The hidden card number was left out of the extract, as Tableau does: not flagged.
    assert flagged_paths(result, "TA101") == set()


def test_ta102_pass_nothing_hidden_in_extract(generated_samples: Path) -> None:
    for name in ("doj_permits.twbx", "hr_shown.twbx", "clean_sales.twbx"):
        assert flagged_paths(run(generated_samples / name), "TA102") == set(), name
