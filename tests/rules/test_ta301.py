"""TA301 stored-password: exact sets, and the password never reaches the finding."""

from __future__ import annotations

import json

from tests.rules.conftest import findings_of, fixture, run

CANARY = "Plant3d-Canary-Pw"


def test_ta301_fail_flags_the_connection_without_the_value() -> None:
    result = run(fixture("TA301_fail_password.tds"))
    findings = findings_of(result, "TA301")
    assert len(findings) == 1
    assert findings[0].location.object_path[-1] == "attribute:password"
    rendered = repr(result) + json.dumps([f.message for f in result.findings])
    assert CANARY not in rendered


def test_ta301_pass_empty_password() -> None:
    assert findings_of(run(fixture("TA301_pass_empty_password.tds")), "TA301") == []
