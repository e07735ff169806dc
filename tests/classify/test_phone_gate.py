"""The phone pre-check never changes an answer: differential tests against phonenumbers itself."""

from __future__ import annotations

import itertools
import random
import string

import phonenumbers
import pytest

from tableau_audit.classify import columns, phone_gate, validators
from tableau_audit.classify.phone_gate import may_be_valid

SEED = 20260602
PREFIXES = ("", "1", "11", "111", "1111", "0", "00", "01", "011", "0111", "001", "44", "440")
SEPARATORS = ("", " ", "-", ".", "/", "(", ")", "  ", "\t")


def parses_valid(value: str, region: str) -> bool:
    """What phonenumbers says, with nothing in front of it."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def reference_phone(value: str, region: str) -> bool | None:
    """:func:`validators.phone` as it was before the pre-check (issue 2 speed work)."""
    if (
        validators._PHONE_CHARS_RE.fullmatch(value) is None
        or validators._DATE_LIKE_RE.fullmatch(value) is not None
    ):
        return None
    digit_count = sum(ch.isdigit() for ch in value)
    if not 7 <= digit_count <= 15 or validators._ssn_parts(value) is not None:
        return None
    if validators._IPV4_RE.fullmatch(value) is not None:
        return None
    return not value.isdigit() if parses_valid(value, region) else None


def _shaped(rng: random.Random, digits: str) -> str:
    """``digits`` with random separators between random groups."""
    out = []
    for ch in digits:
        out.append(ch)
        if rng.random() < 0.25:
            out.append(rng.choice(SEPARATORS))
    return "".join(out)


def generated(count: int, seed: int) -> list[str]:
    """Plain digit strings around every length and leading digit the metadata cares about."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        body = rng.choice(string.digits) + "".join(
            rng.choice(string.digits) for _ in range(rng.randint(3, 16))
        )
        if rng.random() < 0.3:  # NANP-like: area code and exchange from [2-9], or 310-xxxx
            body = rng.choice(("310", "3", "2", "415", "876", "787", "800", "900")) + body[:7]
        value = rng.choice(PREFIXES) + body
        out.append(_shaped(rng, value) if rng.random() < 0.5 else value)
    return out


def structured() -> list[str]:
    """Every leading digit and length from 6 to 13, behind every run of leading ones."""
    out = []
    for ones, first, length in itertools.product(range(4), string.digits, range(6, 14)):
        out.append("1" * ones + first + "10" * length)
        out.append("1" * ones + first + "23456789012345"[: length - 1])
    return out


@pytest.mark.parametrize(("region", "count"), [("US", 6000), ("CA", 2000), ("GB", 2000)])
def test_gate_never_rejects_a_valid_number(region: str, count: int) -> None:
    values = [*structured(), *generated(count, SEED + len(region) + ord(region[0]))]
    rejected_valid = [v for v in values if not may_be_valid(v, region) and parses_valid(v, region)]
    assert rejected_valid == []
    # The pre-check must also do its job: most of these are not phone numbers.
    assert sum(not may_be_valid(v, region) for v in values) > len(values) // 3


@pytest.mark.parametrize("region", ["US", "GB"])
def test_phone_answers_are_the_reference_answers(region: str) -> None:
    values = [*structured(), *generated(3000, SEED)]
    values += ["+1 415 555 2671", "(415) 555-2671 x12", "011 44 20 7946 0958", "3101234"]
    assert {v: validators.phone(v, region) for v in values} == {
        v: reference_phone(v, region) for v in values
    }


@pytest.mark.parametrize(
    "value",
    ["+14155552671", "415-555-2671 ext 5", "1-800-FLOWERS", "\uff14\uff11\uff15\uff15\uff15",
     "011 44 20 7946 0958", "0114420 7946 0958"],
)  # fmt: skip
def test_what_the_gate_leaves_to_phonenumbers(value: str) -> None:
    """A ``+``, letters, an extension, non-ASCII digits or an IDD prefix: no shortcut."""
    assert may_be_valid(value, "US")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4155552671", True),
        ("1 415 555 2671", True),
        ("3101234", True),  # Canada's 310-xxxx numbers are seven digits
        ("2345678", False),
        ("12345678", False),
        ("37.774929512345", False),
        ("0123456789", False),
    ],
)
def test_gate_on_known_shapes(value: str, expected: bool) -> None:
    assert may_be_valid(value, "US") is expected
    if not expected:
        assert not parses_valid(value, "US")


def test_unknown_region_defers_to_phonenumbers() -> None:
    assert may_be_valid("2345678", "ZZ")


def test_prepare_builds_the_region_check_but_not_the_type_patterns() -> None:
    """The warm-up must not compile the large type patterns (~15 ms) a sample may never need."""
    phone_gate._gate.cache_clear()
    phone_gate._compile.cache_clear()
    columns.prepare(values=True)
    assert phone_gate._gate.cache_info().currsize == 1
    assert phone_gate._compile.cache_info().currsize == 0
    assert may_be_valid("00-12345678", "US") is False  # fails the general description alone
    assert phone_gate._compile.cache_info().currsize == 0
    assert may_be_valid("202-555-0143", "US") is True
    assert phone_gate._compile.cache_info().currsize == 1


@pytest.mark.parametrize(
    "value",
    [
        "123456",  # too short
        "2025550143",
        "202555014300000",  # 15 digits
        "2025550143000000",  # 16
        "078051120",  # SSN-shaped 9 digits
        "٢٠٢٥٥٥٠١٤٣",  # Arabic-Indic digits: \d and isdecimal agree
        "2025550143²",  # a superscript is a digit to isdigit(), not to \d
        "²⁰²⁵⁵⁵⁰¹⁴³",
    ],
)
def test_bare_digit_shortcut_answers_as_the_full_checks(value: str) -> None:
    assert validators.phone(value, "US") == reference_phone(value, "US")
