"""The joined rule patterns in names.py find a match exactly when one of their rules does."""

from __future__ import annotations

import random
import re

from tableau_audit.classify import name_rules as nr
from tableau_audit.classify import names

SEED = 20260603


def _words() -> list[str]:
    found: set[str] = set()
    for rule in nr.RULES:
        found.update(re.findall(r"[a-z0-9]+", rule.pattern))
    found.update(nr.NEUTRAL | nr.DESCRIPTORS | nr.ID_WORDS | nr.PERSON_CONTEXT)
    found.update(("voiceprint", "diagnosed", "pregnancy", "incarcerated", "x", "2"))
    return sorted(found)


def test_no_rule_pattern_would_change_meaning_when_joined() -> None:
    """Backreferences would be renumbered and inline flags would spread to other rules."""
    assert [r.pattern for r in nr.RULES if re.search(r"\\\d|\(\?[aiLmsux]|\(\?P=", r.pattern)] == []


def test_runs_cover_every_rule_once_in_order() -> None:
    assert [rule for _, rules in names._RULE_RUNS for rule in rules] == list(nr.RULES)
    assert all(len({r.pii_type for r in rules}) == 1 for _, rules in names._RULE_RUNS)


def test_joined_patterns_agree_with_their_rules() -> None:
    rng = random.Random(SEED)
    vocabulary = _words()
    joined = [
        " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 5))) for _ in range(3000)
    ]
    for text in joined:
        any_rule = nr.token_regex(names._ANY_RULE).search(text) is not None
        assert any_rule == any(rule.regex.search(text) for rule in nr.RULES), text
        for pattern, rules in names._RULE_RUNS:
            run = nr.token_regex(pattern).search(text) is not None
            assert run == any(rule.regex.search(text) for rule in rules), (text, pattern)
    # Not vacuous: the vocabulary makes both outcomes common.
    hits = sum(nr.token_regex(names._ANY_RULE).search(t) is not None for t in joined)
    assert 300 < hits < 2900
