"""Name signal + value evidence → verdict (pii-detection.md §1.4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tableau_audit.classify.policy import Policy
from tableau_audit.classify.scoring import (
    MIN_SAMPLE,
    classify_values,
    combine_evidence,
    name_tokens,
)
from tableau_audit.classify.types import ColumnClassification, PiiType, Tier
from tableau_audit.classify.values import evaluate_values

POLICY = Policy()


@dataclass(frozen=True)
class Name:
    """A name signal as the name classifier reports it (only the fields combine reads)."""

    pii_type: PiiType
    tier: Tier
    score: float


def _ssns(n: int, delimiter: str = "-") -> list[str]:
    return [f"{100 + i:03d}{delimiter}{10 + i % 80:02d}{delimiter}{1000 + i:04d}" for i in range(n)]


def _run(
    values: list[str], *, name: Name | None = None, column: str = "col_7", datatype: str = "string"
) -> ColumnClassification | None:
    return combine_evidence(
        name=name,
        names=(column,),
        evidence=evaluate_values(values, datatype=datatype, today=dt.date(2026, 1, 1)),
        policy=POLICY,
    )


def test_delimited_ssns_under_a_neutral_name() -> None:
    result = _run([*_ssns(38), "N/A", "unknown"])
    assert result is not None
    assert (result.pii_type, result.tier, result.name_only) == (PiiType.SSN, Tier.HIGH, False)
    assert (result.sample_size, result.match_count) == (40, 38)
    assert result.confidence == pytest.approx(0.7 * 38 / 40, abs=1e-4)
    assert result.exemplars == ("***-**-1000", "***-**-1001", "***-**-1002")
    assert result.signals["values"] == {
        "sampled": 40,
        "matched": {"ssn": 38},
        "distinct_ratio": 1.0,
    }


def test_bare_nine_digits_need_the_name() -> None:
    bare = _ssns(40, "")
    assert _run(bare) is None
    named = _run(bare, name=Name(pii_type=PiiType.SSN, tier=Tier.HIGH, score=0.9), column="ssn")
    assert named is not None
    assert named.pii_type is PiiType.SSN
    assert named.confidence == pytest.approx(0.3 * 0.9 + 0.7)


def test_contradicting_name_caps_digit_evidence() -> None:
    cards = ["4242424242424242", "4000056655665556", "5555555555554444", "378282246310005"] * 10
    assert _run(cards, column="order_id") is None
    assert _run(cards, column="InvoiceNumber") is None
    result = _run(cards, column="col_9")
    assert result is not None
    assert result.pii_type is PiiType.PAYMENT_CARD
    card = Name(pii_type=PiiType.PAYMENT_CARD, tier=Tier.HIGH, score=0.9)
    named = _run(cards, name=card, column="card_number_id")
    assert named is not None
    assert named.pii_type is PiiType.PAYMENT_CARD


def test_contradicting_name_does_not_cap_emails() -> None:
    emails = [f"user{i}@example.org" for i in range(30)]
    result = _run(emails, column="user_id")
    assert result is not None
    assert result.pii_type is PiiType.EMAIL


def test_values_contradict_a_name_their_validator_covers() -> None:
    email = Name(pii_type=PiiType.EMAIL, tier=Tier.MODERATE, score=0.9)
    assert _run(["true", "false"] * 20, name=email, column="email") is None


def test_values_do_not_contradict_a_partially_validated_type() -> None:
    national = Name(pii_type=PiiType.NATIONAL_ID, tier=Tier.HIGH, score=0.85)
    values = [f"X{i:07d}" for i in range(30)]  # a format no validator knows
    result = _run(values, name=national, column="national_id")
    assert result is not None
    assert (result.pii_type, result.confidence, result.match_count) == (
        PiiType.NATIONAL_ID,
        0.85,
        0,
    )


def test_type_without_validator_keeps_the_name_score() -> None:
    salary = Name(pii_type=PiiType.SALARY, tier=Tier.MODERATE, score=0.8)
    result = _run([f"{50000 + i * 113}.00" for i in range(30)], name=salary, column="salary")
    assert result is not None
    assert (result.pii_type, result.confidence, result.name_only) == (PiiType.SALARY, 0.8, False)


def test_person_names_need_the_name_and_distinct_values() -> None:
    people = [f"{f} {last}" for f in ("Ann", "Bo", "Cy", "Di", "Ed") for last in ("Lee", "Ng")] * 3
    person = Name(pii_type=PiiType.PERSON_NAME, tier=Tier.MODERATE, score=0.9)
    assert _run(people) is None
    result = _run(people, name=person, column="customer_name")
    assert result is not None
    assert (result.pii_type, result.exemplars) == (PiiType.PERSON_NAME, ())
    categories = ["Consumer", "Corporate", "Home Office"] * 10
    assert _run(categories, name=person, column="customer_name") is None


def test_free_text_needs_pii_inside() -> None:
    base = "The customer reported a delayed delivery and asked for an update"
    clean = [f"{base} number {i} today." for i in range(30)]
    assert _run(clean) is None
    mixed = clean[:25] + [f"{base}, reach them at person{i}@example.org" for i in range(5)]
    result = _run(mixed, column="col_16")
    assert result is not None
    assert (result.pii_type, result.match_count, result.exemplars) == (PiiType.FREE_TEXT, 30, ())
    assert result.signals["values"] == {
        "sampled": 30,
        "matched": {},
        "distinct_ratio": 1.0,
        "free_text": {"rows": 30, "rows_with_pii": 5, "share": 0.167, "by_type": {"email": 5}},
    }


def test_policy_tier_override_applies_to_value_verdicts() -> None:
    policy = Policy(tier_overrides={PiiType.IP_ADDRESS: Tier.LOW})
    ips = [f"10.0.{i}.{i + 1}" for i in range(30)]
    result = combine_evidence(
        name=None,
        names=("host",),
        evidence=evaluate_values(ips, datatype="string"),
        policy=policy,
    )
    assert result is not None
    assert (result.pii_type, result.tier) == (PiiType.IP_ADDRESS, Tier.LOW)


def test_too_few_values_keep_the_name_only_verdict() -> None:
    name_only = ColumnClassification(
        pii_type=PiiType.SSN, tier=Tier.HIGH, confidence=0.9, signals={"name": {"score": 0.9}}
    )
    result = classify_values(
        name=Name(pii_type=PiiType.SSN, tier=Tier.HIGH, score=0.9),
        names=("ssn",),
        datatype="string",
        values=["true", "", "false"],
        policy=POLICY,
        name_only=name_only,
    )
    assert result is not None
    assert result.name_only
    assert result.signals == {
        "name": {"score": 0.9},
        "values": {"sampled": 2, "too_few_values": True},
    }
    empty = classify_values(
        name=None, names=("x",), datatype="string", values=[], policy=POLICY, name_only=None
    )
    assert empty is None
    assert MIN_SAMPLE > 2


def test_classify_values_with_enough_values_and_name_signals() -> None:
    result = classify_values(
        name=None,
        names=("col_7",),
        datatype="string",
        values=_ssns(30),
        policy=POLICY,
        name_only=None,
        name_signals={"score": 0.1},
    )
    assert result is not None
    assert result.signals["name"] == {"score": 0.1}
    assert "123-45" not in repr(result)
    for value in _ssns(30):
        assert value not in repr(result)


def test_classify_values_takes_precomputed_evidence() -> None:
    # The engine judges values shared by several columns once and passes the evidence.
    values = [*_ssns(20), "n/a", "pending"]
    verdicts = [
        classify_values(
            name=None,
            names=("col_7",),
            datatype="string",
            values=given,
            policy=POLICY,
            name_only=None,
        )
        for given in (values, evaluate_values(values, datatype="string"))
    ]
    assert verdicts[0] is not None
    assert verdicts[0].pii_type is PiiType.SSN
    assert verdicts[1] == verdicts[0]


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("customerID",), {"customer", "id"}),
        (("order_number", "Order No"), {"order", "number", "no"}),
        (("IBANCode2",), {"iban", "code", "2"}),
    ],
)
def test_name_tokens(names: tuple[str, ...], expected: set[str]) -> None:
    assert name_tokens(*names) == expected
