"""TA902 partially-audited: an extract that cannot be read still leaves an audited workbook."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rules.conftest import findings_of, run

pytestmark = pytest.mark.hyper


@pytest.mark.parametrize(
    ("sample", "reason_word"),
    [
        ("corrupt_extract.twbx", "corrupt"),
        ("zero_byte_extract.twbx", "empty"),
        ("missing_extract.twbx", "missing"),
    ],
)
def test_ta902_fail_unreadable_extract_is_reported(
    generated_samples: Path, sample: str, reason_word: str
) -> None:
    result = run(generated_samples / sample)
    assert result.skipped == ()  # still audited from its XML
    [finding] = findings_of(result, "TA902")
    assert reason_word in finding.message.lower()


def test_ta902_pass_readable_extracts(generated_samples: Path) -> None:
    for name in ("doj_permits.twbx", "multi_table.twbx", "renamed_dupes.twbx"):
        assert findings_of(run(generated_samples / name), "TA902") == [], name
