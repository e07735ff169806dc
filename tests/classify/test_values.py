"""Value validators and the value evidence built from them (pii-detection.md §3)."""

from __future__ import annotations

import datetime as dt

import pytest

from tableau_audit.classify import validators as v
from tableau_audit.classify.freetext import FreeTextEvidence
from tableau_audit.classify.types import PiiType
from tableau_audit.classify.values import Detector, TypeEvidence, ValueEvidence, evaluate_values

TODAY = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123-45-6780", True),
        ("123 45 6780", True),
        ("123456780", False),
        ("078-05-1120", None),  # Woolworth wallet card
        ("123-45-6789", None),  # advertising
        ("219-09-9999", None),
        ("000-12-3456", None),
        ("666-12-3456", None),
        ("912-70-1234", None),  # ITIN range
        ("123-00-4567", None),
        ("123-45-0000", None),
        ("111-11-1111", None),
        ("123-45 6780", None),  # mixed delimiters
        ("12-345-6780", None),
        ("1234567801", None),
    ],
)
def test_ssn(value: str, expected: bool | None) -> None:
    assert v.ssn(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("912-70-1234", True),
        ("900701234", False),
        ("912-93-1234", None),  # group 93 is not an ITIN group
        ("812-70-1234", None),
        ("999-99-9999", None),
        ("912-70-0000", None),
    ],
)
def test_itin(value: str, expected: bool | None) -> None:
    assert v.itin(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4242424242424242", True),  # Visa
        ("4242 4242 4242 4242", True),
        ("4242-4242-4242-4242", True),
        ("378282246310005", True),  # Amex
        ("5555555555554444", True),  # Mastercard
        ("2223003122003222", True),  # Mastercard 2-series
        ("6011111111111117", True),  # Discover
        ("3530111333300000", True),  # JCB
        ("36227206271667", True),  # Diners
        ("4242424242424241", False),  # Luhn fails
        ("1234567812345670", False),  # Luhn passes, no scheme starts with 1
        ("378282246310005000", False),  # Amex prefix, wrong length
        ("0000000000000", False),
        ("4242 4242-4242 4242", False),  # mixed delimiters
        ("424242424242", False),  # too short
    ],
)
def test_payment_card(value: str, expected: bool) -> None:
    assert v.payment_card(value) is expected


def test_luhn() -> None:
    assert [v.luhn_ok(d) for d in ("79927398713", "79927398710", "0")] == [True, False, True]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane.doe@example.org", True),
        ("a+tag@mail.example.co.uk", True),
        ("J_Doe@Example.COM", True),
        ("jane@example.invalidtld", False),
        ("jane..doe@example.org", False),
        (".jane@example.org", False),
        ("jane@localhost", False),
        ("jane@-example.org", False),
        ("mail jane@example.org", False),  # whole cell only
        ("not an email", False),
    ],
)
def test_email(value: str, expected: bool) -> None:
    assert v.email(value) is expected


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("+1 (415) 555-2671", "US", True),
        ("(212) 456-7890", "US", True),
        ("212.456.7890", "US", True),
        ("+44 20 7946 0958", "US", True),
        ("020 7946 0958", "GB", True),
        ("020 7946 0958", "US", None),
        ("4155552671", "US", False),  # bare digits: weak
        ("+14155552671", "US", True),
        ("212.456.78.90", "US", None),  # dotted quad: an IPv4 shape
        ("(415) 555-2671 ext. 12", "US", True),
        ("123-45-6780", "US", None),  # SSN shape
        ("2024-01-15", "US", None),
        ("01/15/2024", "US", None),
        ("94105-1234", "US", None),  # ZIP+4
        ("12345", "US", None),
        ("(123) 456-7890", "US", None),  # no area code starts with 1
    ],
)
def test_phone(value: str, region: str, expected: bool | None) -> None:
    assert v.phone(value, region) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("GB82 WEST 1234 5698 7654 32", True),
        ("DE89370400440532013000", True),
        ("FR1420041010050500013M02606", True),
        ("gb82west12345698765432", True),
        ("GB82 WEST 1234 5698 7654 33", False),  # mod-97 fails
        ("DE8937040044053201300", False),  # wrong length for DE
        ("XX82WEST12345698765432", False),  # unknown country
    ],
)
def test_iban(value: str, expected: bool) -> None:
    assert v.iban(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("021000021", True),
        ("011000015", True),
        ("121000358", True),
        ("021000022", False),  # checksum
        ("991000026", False),  # prefix 99 is not a Federal Reserve district
        ("000000000", False),
        ("02100002", False),
    ],
)
def test_aba_routing(value: str, expected: bool) -> None:
    assert v.aba_routing(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.10", True),
        ("8.8.8.8", True),
        ("2001:db8::1", True),
        ("::1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("256.1.1.1", False),
        ("1.2.3", False),
        ("00:1A:2B:3C:4D:5E", False),
    ],
)
def test_ip_address(value: str, expected: bool) -> None:
    assert v.ip_address(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("00:1A:2B:3C:4D:5E", True),
        ("00-1a-2b-3c-4d-5e", True),
        ("001a.2b3c.4d5e", True),
        ("00:1A-2B:3C:4D:5E", False),
        ("00:1A:2B:3C:4D", False),
        ("00:00:00:00:00:00", False),
    ],
)
def test_mac_address(value: str, expected: bool) -> None:
    assert v.mac_address(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AB123456C", True),
        ("AB 12 34 56 C", True),
        ("GB123456A", False),
        ("QQ123456C", False),
        ("AB123456E", False),
        ("AB12345C", False),
    ],
)
def test_uk_nino(value: str, expected: bool) -> None:
    assert v.uk_nino(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("130 692 544", True),
        ("130-692-544", True),
        ("130692544", False),
        ("130 692 545", None),  # Luhn fails
        ("046 454 286", None),  # first digit 0 is never issued
        ("130 692-544", None),
    ],
)
def test_ca_sin(value: str, expected: bool | None) -> None:
    assert v.ca_sin(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1234567893", True), ("1234567890", False), ("3234567893", False), ("123456789", False)],
)
def test_us_npi(value: str, expected: bool) -> None:
    assert v.us_npi(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1HGCM82633A004352", True),
        ("1M8GDM9AXKP042788", True),  # check digit X
        ("1hgcm82633a004352", True),
        ("1HGCM82633A004353", False),
        ("1HGCM82633A00435", False),
        ("1HGCM82I33A004352", False),  # I is not used in VINs
        ("12345678901234567", False),  # digits only
    ],
)
def test_vin(value: str, expected: bool) -> None:
    assert v.vin(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1985-03-12", dt.date(1985, 3, 12)),
        ("1985-03-12 00:00:00", dt.date(1985, 3, 12)),
        ("1985-03-12T08:15:00Z", dt.date(1985, 3, 12)),
        ("03/12/1985", dt.date(1985, 3, 12)),
        ("25/12/1985", dt.date(1985, 12, 25)),
        ("12.03.1985", dt.date(1985, 3, 12)),
        ("19850312", dt.date(1985, 3, 12)),
        ("19851312", None),
        ("18850312", None),
        ("1985-02-30", None),
        ("1985", None),
        ("March 12", None),
    ],
)
def test_parse_date(value: str, expected: dt.date | None) -> None:
    assert v.parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1985-03-12", True),
        ("2025-12-31", True),
        ("1906-01-01", True),
        ("1905-01-01", False),  # older than 120
        ("2026-01-02", False),  # future
        ("2026", False),
    ],
)
def test_plausible_birth_date(value: str, expected: bool) -> None:
    assert v.plausible_birth_date(value, TODAY) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("John Smith", True),
        ("Mary-Jane O'Neil", True),
        ("Smith, John", True),
        ("José García", True),
        ("Ludwig van Beethoven", True),
        ("John F. Kennedy", True),
        ("Acme Holdings Ltd", False),
        ("Initech LLC", False),
        ("JOHN SMITH", True),
        ("SMITH, JOHN", True),
        ("ACME HOLDINGS LTD", False),
        ("JOHN Smith", False),
        ("john smith", False),
        ("John", True),
        ("O'Brien", True),
        ("J", False),
        ("Ltd", False),
        ("Anna Maria Luisa de Medici Tuscany", False),
        ("R2 D2", False),
        ("Room 101", False),
    ],
)
def test_person_name(value: str, expected: bool) -> None:
    assert v.person_name(value) is expected


def _detectors(evidence: ValueEvidence) -> dict[PiiType, dict[Detector, int]]:
    return {t.pii_type: dict(t.detectors) for t in evidence.types}


def test_evaluate_delimited_ssns_are_strong() -> None:
    values = ["123-45-6780", "234-56-7801", "078-05-1120", "", "  ", "345-67-8012"]
    ev = evaluate_values(values, datatype="string", today=TODAY)
    assert ev.sample_size == 4
    assert ev.types == (
        TypeEvidence(
            pii_type=PiiType.SSN,
            matched=3,
            strong=3,
            distinct=3,
            detectors=((Detector.SSN, 3),),
            exemplars=("***-**-6780", "***-**-7801", "***-**-8012"),
        ),
    )
    assert ev.ratio(PiiType.SSN, with_name=False) == 0.75


def test_evaluate_bare_nine_digits_are_weak() -> None:
    values = ["123456780", "234567801", "345678012", "456780123"]
    ev = evaluate_values(values, datatype="integer", today=TODAY)
    ssn = ev.get(PiiType.SSN)
    assert ssn is not None
    assert (ssn.matched, ssn.strong) == (4, 0)
    assert ev.ratio(PiiType.SSN, with_name=False) == 0.0
    assert ev.ratio(PiiType.SSN, with_name=True) == 1.0


def test_evaluate_decimal_columns_drop_a_zero_scale() -> None:
    values = ["(415) 555-2671", "4155552672.00", "4155552673.0", "4155552674.5"]
    ev = evaluate_values(values, datatype="real")
    phone = ev.get(PiiType.PHONE)
    assert phone is not None
    assert (phone.matched, phone.strong) == (3, 1)
    as_text = evaluate_values(values, datatype="string").get(PiiType.PHONE)
    assert as_text is not None
    assert as_text.matched == 1


def test_evaluate_booleans_and_years_are_never_pii() -> None:
    assert evaluate_values(["1", "0", "1"], datatype="boolean").types == ()
    assert evaluate_values(["true", "false"], datatype="string").types == ()
    years = [str(y) for y in range(1990, 2026)]
    assert evaluate_values(years, datatype="integer", today=TODAY).types == ()


@pytest.mark.parametrize("datatype", ["date", "datetime", "timestamp", "TIMESTAMP_TZ"])
def test_evaluate_date_columns_meet_only_the_birth_date_check(datatype: str) -> None:
    # The same strings in a text column are a phone number, an SSN, a card and a date.
    values = ["415-555-2671", "244-08-8373", "4111 1111 1111 1111", "1984-07-02"]
    as_text = evaluate_values(values, datatype="string", today=TODAY)
    assert {t.pii_type for t in as_text.types} >= {
        PiiType.PHONE,
        PiiType.SSN,
        PiiType.PAYMENT_CARD,
        PiiType.DATE_OF_BIRTH,
    }
    as_dates = evaluate_values(values, datatype=datatype, today=TODAY)
    assert [(t.pii_type, t.matched) for t in as_dates.types] == [(PiiType.DATE_OF_BIRTH, 1)]


def test_evaluate_mixed_column_counts_each_value_once_per_type() -> None:
    # ABA only (SSN group 00); SSN and SIN (Luhn); ITIN only; nothing (all nines)
    values = ["021000021", "130692544", "912701235", "999999999"]
    ev = evaluate_values(values, datatype="string", today=TODAY)
    assert _detectors(ev) == {
        PiiType.SSN: {Detector.SSN: 1},
        PiiType.NATIONAL_ID: {Detector.ITIN: 1, Detector.CA_SIN: 1},
        PiiType.BANK_ACCOUNT: {Detector.ABA_ROUTING: 1},
    }
    national = ev.get(PiiType.NATIONAL_ID)
    assert national is not None
    assert national.matched == 2


def test_evaluate_names_and_birth_dates_need_a_name_signal() -> None:
    names = evaluate_values(["John Smith", "Ana Lopez", "Acme Corp"], datatype="string")
    person = names.get(PiiType.PERSON_NAME)
    assert person is not None
    assert (person.matched, person.strong, person.exemplars) == (2, 0, ())
    dates = evaluate_values(["1985-03-12", "2030-01-01"], datatype="date", today=TODAY)
    dob = dates.get(PiiType.DATE_OF_BIRTH)
    assert dob is not None
    assert (dob.matched, dob.strong, dob.exemplars) == (1, 0, ())


def test_evaluate_keeps_at_most_three_distinct_exemplars() -> None:
    values = ["a@example.org", "a@example.org", "b@example.com", "c@example.net", "d@x.io"]
    ev = evaluate_values(values, datatype="string")
    email = ev.get(PiiType.EMAIL)
    assert email is not None
    assert email.exemplars == ("a***@e***.org", "b***@e***.com", "c***@e***.net")
    assert (email.matched, email.distinct) == (5, 4)
    assert ev.distinct_ratio == 0.8


def test_evaluate_free_text_reports_share_of_rows_with_pii() -> None:
    rows = [
        "Customer asked for a refund, reach her at jane.doe@example.org tomorrow",
        "Called back on (415) 555-2671 and left a message about the delivery",
        "Verified identity with SSN 123-45-6780 before changing the address",
        "Package arrived damaged, replacement was shipped the same afternoon",
        "No further action needed on this ticket, closing it as resolved now",
    ]
    ev = evaluate_values(rows, datatype="string")
    assert ev.free_text == FreeTextEvidence(
        rows=5,
        pii_rows=3,
        by_type=((PiiType.SSN, 1), (PiiType.EMAIL, 1), (PiiType.PHONE, 1)),
    )
    assert ev.types == ()


def test_evaluate_short_category_values_are_not_free_text() -> None:
    values = ["Home Office", "Small Business", "Consumer"] * 20
    assert evaluate_values(values, datatype="string").free_text is None


def test_evidence_repr_never_contains_a_value() -> None:
    values = [
        "123-45-6780",
        "4242 4242 4242 4242",
        "jane.doe@example.org",
        "+1 (415) 555-2671",
        "GB82 WEST 1234 5698 7654 32",
        "Zebulon Quixote",
        "1985-03-12",
        "192.168.1.10",
        "Reach me at canary.person@example.org or 123-45-6780 any day this week",
    ]
    ev = evaluate_values(values, datatype="string", today=TODAY)
    text = repr(ev) + str(ev)
    digits = "".join(ch for ch in text if ch.isdigit())
    for value in values:
        assert value not in text
    for secret in ("jane", "doe", "example", "Zebulon", "Quixote", "canary", "1985", "192"):
        assert secret not in text
    assert "123456780" not in digits
    assert "4242424242424242" not in digits
