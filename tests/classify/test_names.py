"""Name classifier: tokeniser, rules, contradictions, policy; precision/recall on a labelled set."""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tableau_audit.classify.names import (
    MAX_NAME_LENGTH,
    NameMatch,
    classify_name,
    datatype_kind,
    tokenize,
)
from tableau_audit.classify.policy import DEFAULT_TIERS, ExtraPattern, Policy
from tableau_audit.classify.types import PiiType, Tier

DATA = Path(__file__).parent / "data" / "column_names.tsv"
POLICY = Policy()


def verdict(name: str, datatype: str = "string", *, caption: str = "", context: str = "") -> str:
    """The type a column would be reported as under the default policy, or 'none'."""
    found = classify_name(
        name=name, caption=caption, datatype=datatype, policy=POLICY, context=context
    )
    return found.pii_type.value if found and found.score >= POLICY.min_confidence else "none"


@pytest.mark.parametrize(
    ("name", "tokens"),
    [
        ("Cust_DOB", ("customer", "date", "of", "birth")),
        ("emailAddr2", ("email", "address", "2")),
        ("SSNNumber", ("ssn", "number")),
        ("SocialSecurityNo", ("social", "security", "number")),
        ("dateofbirth", ("date", "of", "birth")),
        ("firstname", ("first", "name")),
        ("E-Mail", ("email",)),
        ("Driver's License #", ("drivers", "license", "number")),
        ("icd10_code", ("icd", "10", "code")),
        ("name (system_users) #1", ("name",)),
        ("[Customer Name]", ("customer", "name")),
        ("MobileNo", ("mobile", "number")),
        ("no_email", ("no", "email")),
        # Not split into vocabulary words: these are words of their own.
        ("passenger", ("passenger",)),
        ("percentage", ("percentage",)),
        ("bypass", ("bypass",)),
        ("Pct (% GDP)", ("pct",)),
    ],
)
def test_tokenize(name: str, tokens: tuple[str, ...]) -> None:
    assert tokenize(name) == tokens


@pytest.mark.parametrize(
    ("datatype", "kind"),
    [
        ("string", "text"),
        ("integer", "number"),
        ("real", "number"),
        ("BIG_INT", "number"),
        ("varchar(255)", "text"),
        ("boolean", "boolean"),
        ("datetime", "date"),
        ("timestamp_tz", "date"),
        ("spatial", ""),
        ("", ""),
    ],
)
def test_datatype_kind(datatype: str, kind: str) -> None:
    assert datatype_kind(datatype) == kind


@pytest.mark.parametrize(
    ("name", "datatype", "expected"),
    [
        ("emp_ssn", "string", "ssn"),
        ("ssn_masked", "string", "ssn"),
        ("traveler_passport_id", "string", "passport"),
        ("DRV_LIC_NO", "string", "drivers_license"),
        ("ccw_license_number", "string", "national_id"),
        ("creditCardNumber", "string", "payment_card"),
        ("IBAN Number", "string", "bank_account"),
        ("passwordHash", "string", "credential"),
        ("db_pass", "string", "credential"),
        ("Diagnosis Date", "date", "health"),
        ("felony_flag", "boolean", "criminal_record"),
        ("sex_offender_status", "string", "criminal_record"),
        ("Work Email Address", "string", "email"),
        ("homePhoneNumber", "string", "phone"),
        ("Account Holder Name", "string", "person_name"),
        ("emp_nm", "string", "person_name"),
        ("PT_DOB", "date", "date_of_birth"),
        ("ship_to_address", "string", "street_address"),
        ("RemoteAddress", "string", "ip_address"),
        ("device_fingerprint", "string", "device_id"),
        ("Gross Pay", "real", "salary"),
        ("review_text", "string", "free_text"),
        ("zip_plus_4", "string", "postal_code"),
        ("gender_identity", "string", "gender"),
        ("year_of_birth", "integer", "age"),
    ],
)
def test_positive_names(name: str, datatype: str, expected: str) -> None:
    assert verdict(name, datatype) == expected


@pytest.mark.parametrize(
    ("name", "datatype"),
    [
        ("email_verified", "integer"),  # OpenMetadata #19765
        ("ACADEMIC_YEAR_CODE", "integer"),  # OpenMetadata #29049
        ("passenger_count", "integer"),
        ("pass_rate", "real"),
        ("bypass_flag", "boolean"),
        ("card_type", "string"),
        ("zip_file", "string"),
        ("state_code", "string"),
        ("zone", "string"),
        ("mail_date", "date"),
        ("product_name", "string"),
        ("user_name", "string"),
        ("company_name", "string"),
        ("order_id", "string"),
        ("invoice_number", "string"),
        ("tracking_number", "string"),
        ("address_id", "integer"),
        ("has_phone", "boolean"),
        ("num_emails", "integer"),
        ("avg_salary", "real"),
        ("phone_country_code", "string"),
        ("booking_number", "string"),
        ("charge_amount", "real"),
        ("Age 10", "integer"),  # a census bucket, not an age
        ("Phone Calls", "integer"),
        ("email", "integer"),  # numeric: cannot hold an address
    ],
)
def test_negative_names(name: str, datatype: str) -> None:
    assert verdict(name, datatype) == "none"


def test_contradicted_match_explains_why() -> None:
    found = classify_name(name="email_verified", datatype="integer", policy=POLICY)
    assert found == NameMatch(
        pii_type=PiiType.EMAIL,
        tier=Tier.MODERATE,
        score=0.3,
        matched=("email",),
        contradicted=True,
        matched_on="name",
        tokens=("email", "verified"),
        rule="emails?",
        reasons=("'verified' after the match", "numeric datatype"),
    )


def test_best_match_over_remote_name_name_and_caption_says_which() -> None:
    found = classify_name(
        name="Calculation_1", remote_name="col_17", caption="Date of Birth", policy=POLICY
    )
    assert found is not None
    assert (found.pii_type, found.matched_on, found.matched) == (
        PiiType.DATE_OF_BIRTH,
        "caption",
        ("date", "of", "birth"),
    )
    remote = classify_name(name="Applicant", remote_name="applicant_ssn", policy=POLICY)
    assert remote is not None
    assert (remote.pii_type, remote.matched_on) == (PiiType.SSN, "remote_name")


def test_hostile_names_take_bounded_time() -> None:
    started = time.perf_counter()
    for name in ("a" * 1_000_000, "(" * 100_000, "ab_" * 100_000, "emailemail" * 50_000):
        classify_name(name=name, caption=name, policy=POLICY, context=name)
    assert time.perf_counter() - started < 5.0
    assert tokenize("ssn_" + "x" * 10_000) == ("ssn", "x" * (MAX_NAME_LENGTH - 4))


def test_no_match_is_none() -> None:
    assert classify_name(name="Sales", remote_name="sales", caption="Sales", policy=POLICY) is None
    assert classify_name(name="", policy=POLICY) is None


def test_bare_name_needs_a_person_context() -> None:
    assert verdict("Name", context="Employees") == "person_name"
    assert verdict("Name (patients)") == "person_name"
    assert verdict("Name", context="Products") == "none"
    assert verdict("Name") == "none"


def test_charge_needs_a_criminal_context() -> None:
    assert verdict("Charge", context="Arrests 2023") == "criminal_record"
    assert verdict("Charge", context="Billing") == "none"
    assert verdict("arrest_charge") == "criminal_record"


def test_datatype_signals() -> None:
    def score(name: str, datatype: str) -> float:
        found = classify_name(name=name, datatype=datatype, policy=POLICY)
        assert found is not None
        return found.score

    assert score("dob", "date") > score("dob", "string") > score("dob", "integer")
    assert score("dob", "integer") < POLICY.min_confidence
    assert score("password_expired", "boolean") < POLICY.min_confidence
    assert score("hiv_status", "boolean") >= POLICY.min_confidence  # an attribute: a flag discloses
    assert score("ssn", "integer") >= POLICY.min_confidence  # identifiers may be stored as numbers
    assert verdict("long", "real") == "geolocation"
    assert verdict("long", "string") == "none"


def test_policy_extra_pattern_wins_and_tier() -> None:
    policy = Policy(
        extra_patterns=(
            ExtraPattern(pii_type=PiiType.NATIONAL_ID, pattern=r"^emp ref$", tier=Tier.HIGH),
            ExtraPattern(pii_type=PiiType.HEALTH, pattern=r"\bward\b"),
        )
    )
    ref = classify_name(name="EMP_REF", policy=policy)
    assert ref is not None
    assert (ref.pii_type, ref.tier, ref.rule, ref.contradicted) == (
        PiiType.NATIONAL_ID,
        Tier.HIGH,
        "policy:^emp ref$",
        False,
    )
    ward = classify_name(name="patient_ward_email", policy=policy)
    assert ward is not None
    assert (ward.pii_type, ward.tier) == (PiiType.HEALTH, Tier.HIGH)
    assert classify_name(name="emp_ref_count", policy=policy) is None


def test_policy_tier_override() -> None:
    policy = Policy(tier_overrides={PiiType.SSN: Tier.MODERATE, PiiType.FREE_TEXT: Tier.HIGH})
    ssn = classify_name(name="ssn", policy=policy)
    notes = classify_name(name="description", policy=policy)
    assert ssn is not None
    assert notes is not None
    assert (ssn.tier, notes.tier) == (Tier.MODERATE, Tier.HIGH)
    default_notes = classify_name(name="description", policy=POLICY)
    assert default_notes is not None
    assert default_notes.tier is Tier.LOW


# --- labelled set ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Labelled:
    name: str
    caption: str
    datatype: str
    expected: str


def load_labelled() -> list[Labelled]:
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line[:1] != "#"]
    rows = list(csv.DictReader(lines, delimiter="\t"))
    return [Labelled(r["name"], r["caption"], r["datatype"], r["expected"]) for r in rows]


def tier_scores(rows: list[Labelled]) -> dict[Tier, tuple[float, float]]:
    """Per tier: precision over predictions of that tier, recall over rows expected in that tier."""
    predicted: Counter[Tier] = Counter()
    correct_predicted: Counter[Tier] = Counter()
    expected: Counter[Tier] = Counter()
    found: Counter[Tier] = Counter()
    for row in rows:
        match = classify_name(
            name=row.name, caption=row.caption, datatype=row.datatype, policy=POLICY
        )
        flagged = match is not None and match.score >= POLICY.min_confidence
        got = match.pii_type.value if match is not None and flagged else "none"
        if match is not None and flagged:
            predicted[match.tier] += 1
            correct_predicted[match.tier] += got == row.expected
        if row.expected != "none":
            tier = DEFAULT_TIERS[PiiType(row.expected)]
            expected[tier] += 1
            found[tier] += got == row.expected
    return {
        tier: (correct_predicted[tier] / predicted[tier], found[tier] / expected[tier])
        for tier in Tier
    }


def test_labelled_set_is_substantial() -> None:
    rows = load_labelled()
    assert len(rows) >= 250
    assert len({r.name for r in rows}) == len(rows)
    assert {r.expected for r in rows} - {"none"} <= {t.value for t in PiiType}
    negatives = sum(r.expected == "none" for r in rows)
    assert negatives >= 100
    assert {"email_verified", "academic_year_code", "passenger_count", "zip_file"} <= {
        r.name for r in rows
    }


def test_precision_and_recall_per_tier() -> None:
    scores = tier_scores(load_labelled())
    for tier in (Tier.HIGH, Tier.MODERATE):
        precision, recall = scores[tier]
        assert precision >= 0.95, f"{tier.label} precision {precision:.3f}"
        assert recall >= 0.95, f"{tier.label} recall {recall:.3f}"
    precision, recall = scores[Tier.LOW]
    assert precision >= 0.9, f"low precision {precision:.3f}"
    assert recall >= 0.9, f"low recall {recall:.3f}"
