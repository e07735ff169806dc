"""TA104 confidential-column-in-datasource: exact sets of flagged columns."""

from __future__ import annotations

from tests.rules.conftest import fixture, flagged_paths, run


def test_ta104_fail_flags_email_and_phone_not_email_verified() -> None:
    result = run(fixture("TA104_fail_customer_contacts.tds"))
    assert flagged_paths(result, "TA104") == {
        ("datasource:Customer Contacts", "column:Email Address"),
        ("datasource:Customer Contacts", "column:mobile_phone"),
    }
    assert flagged_paths(result, "TA101") == set()  # TA101 is for workbooks only


def test_ta104_pass_no_personal_columns() -> None:
    result = run(fixture("TA104_pass_no_personal_columns.tds"))
    assert flagged_paths(result, "TA104") == set()
