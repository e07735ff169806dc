"""The first-token index of the name rules never hides a match (``classify/rule_index.py``)."""

from __future__ import annotations

import random
import re

import pytest

from tableau_audit.classify import name_rules as nr
from tableau_audit.classify import names, rule_index

SEED = 20260603


def _words() -> list[str]:
    found: set[str] = set()
    for rule in nr.RULES:
        found.update(re.findall(r"[a-z0-9]+", rule.pattern))
    found.update(nr.NEUTRAL | nr.DESCRIPTORS | nr.ID_WORDS | nr.PERSON_CONTEXT)
    found.update(("voiceprint", "diagnosed", "pregnancy", "incarcerated", "x", "2", "ipv"))
    return sorted(found)


def test_every_built_in_pattern_is_indexed() -> None:
    """None is left to be tried on every name (that would be correct, only slower)."""
    index = rule_index.index([rule.pattern for rule in nr.RULES])
    assert index.always == ()
    indexed = {p for rules in index.exact.values() for p in rules}
    indexed |= {p for _, rules in index.prefixes for p in rules}
    assert indexed == set(range(len(nr.RULES)))


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ssn", {"ssn"}),
        ("social security( number)?", {"social"}),
        ("(credit|debit) card( number)?|ccn", {"credit", "debit", "ccn"}),
        ("voice ?print", {"voice", "voiceprint"}),
        ("offenses?", {"offense", "offenses"}),
        ("diagnos\\w*", {"diagnos\x00"}),
        ("(first|last)( middle)? names?", {"first", "last"}),
    ],
)
def test_first_tokens(pattern: str, expected: set[str]) -> None:
    assert rule_index.first_tokens(pattern) == expected


@pytest.mark.parametrize("pattern", ["a.b", "(?:ab)", "ab+", "[ab]", "x{2}", "(ab", "a|", "a?|b"])
def test_other_syntax_is_always_tried(pattern: str) -> None:
    with pytest.raises(rule_index.UnsupportedPattern):
        rule_index.first_tokens(pattern)
    index = rule_index.index(["ssn", pattern])
    assert index.always == (1,)
    assert rule_index.candidates(index, ["anything"]) == [1]


def test_candidates_include_every_rule_that_matches() -> None:
    rng = random.Random(SEED)
    vocabulary = _words()
    index = rule_index.index([rule.pattern for rule in nr.RULES])
    names_with_hits = 0
    for _ in range(5000):
        tokens = [rng.choice(vocabulary) for _ in range(rng.randint(1, 5))]
        text = " ".join(tokens)
        matching = [i for i, rule in enumerate(nr.RULES) if rule.regex.search(text)]
        tried = rule_index.candidates(index, tokens)
        assert set(matching) <= set(tried), text
        names_with_hits += bool(matching)
    # Not vacuous: the vocabulary makes both outcomes common.
    assert 500 < names_with_hits < 4900


def test_rule_hits_are_those_of_every_rule_tried_in_order() -> None:
    rng = random.Random(SEED + 1)
    vocabulary = _words()
    for _ in range(2000):
        tokens = tuple(rng.choice(vocabulary) for _ in range(rng.randint(1, 4)))
        text = " ".join(tokens)
        expected = [
            (rule, tuple(names._spans(rule, text))) for rule in nr.RULES if rule.regex.search(text)
        ]
        assert list(names._rule_hits(tokens)) == expected, text
