"""Masked exemplars keep the shape and at most the last digits (pii-detection.md §6)."""

from __future__ import annotations

import pytest

from tableau_audit.classify import mask


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123-45-6789", "***-**-6789"),
        ("123 45 6789", "*** ** 6789"),
        ("123456789", "*****6789"),
        (" 123-45-6789 ", "***-**-6789"),
    ],
)
def test_mask_ssn(value: str, expected: str) -> None:
    assert mask.mask_ssn(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4242424242424242", "**** **** **** 4242"),
        ("378282246310005", "**** **** **** 0005"),
        ("4242 4242 4242 4242", "**** **** **** 4242"),
        ("3782-822463-10005", "****-******-*0005"),
    ],
)
def test_mask_card(value: str, expected: str) -> None:
    assert mask.mask_card(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("jane.doe@example.org", "j***@e***.org"),
        ("x@mail.example.co.uk", "x***@m***.uk"),
        ("broken", "***@***"),
        ("@example.org", "***@***"),
        ("a@localhost", "a***@l***"),
    ],
)
def test_mask_email(value: str, expected: str) -> None:
    assert mask.mask_email(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+1 (415) 555-2671", "+* (***) ***-**71"),
        ("4155552671", "********71"),
    ],
)
def test_mask_phone(value: str, expected: str) -> None:
    assert mask.mask_phone(value) == expected


def test_mask_account_and_short_ids() -> None:
    assert mask.mask_account("GB82 WEST 1234 5698 7654 32") == "**** **** **** **** **54 32"
    assert mask.mask_account("021000021") == "*****0021"
    assert mask.mask_short_id("AB123456C") == "*******6C"


def test_mask_shape_reveals_only_separators() -> None:
    assert mask.mask_shape("192.168.1.10") == "***.***.*.**"
    assert mask.mask_shape("00:1A:2B:3C:4D:5E") == "**:**:**:**:**:**"


@pytest.mark.parametrize("keep", [-1, 0])
def test_mask_keep_last_without_reveal(keep: int) -> None:
    assert mask.mask_keep_last("ab-12", keep) == "**-**"


@pytest.mark.parametrize(
    ("value", "expected"), [("12", "*2"), ("1234", "**34"), ("1-2-3", "*-*-3"), ("", "")]
)
def test_mask_keep_last_reveals_at_most_half(value: str, expected: str) -> None:
    assert mask.mask_keep_last(value, 4) == expected
