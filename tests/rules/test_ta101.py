"""TA101 unused-confidential-column: exact sets of flagged columns."""

from __future__ import annotations

from tableau_audit.findings import Severity
from tests.rules.conftest import findings_of, fixture, flagged_paths, run


def test_ta101_fail_flags_exactly_the_unused_ssn_and_email() -> None:
    result = run(fixture("TA101_fail_unused_ssn_email.twb"))
    assert flagged_paths(result, "TA101") == {
        ("datasource:Customers", "column:Customer SSN"),
        ("datasource:Customers", "column:Email"),
    }
    by_field = {f.location.field: f for f in findings_of(result, "TA101")}
    # A live connection: the values do not ship in the file, so one step below the tier.
    assert by_field["Customer SSN"].severity is Severity.MEDIUM
    assert by_field["Email"].severity is Severity.LOW
    assert by_field["Customer SSN"].evidence["type"] == "ssn"


def test_ta101_pass_column_used_through_calc_and_filter() -> None:
    result = run(fixture("TA101_pass_ssn_in_calc_email_in_filter.twb"))
    assert flagged_paths(result, "TA101") == set()
    columns = {c.field: c for c in result.items[0].columns}
    assert columns["Customer SSN"].used is True
    assert columns["Email"].used is True
    assert columns["Order ID"].classification is None
