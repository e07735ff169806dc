"""The rule registry. ``ALL_RULES`` is the only list of rules; it is sorted by id."""

from __future__ import annotations

from tableau_audit.rules.base import Needs, Rule, RuleContext
from tableau_audit.rules.connections import TA301, TA302, TA303
from tableau_audit.rules.data import TA101, TA102, TA103, TA104, TA105
from tableau_audit.rules.diagnostics import TA901, TA902, TA903
from tableau_audit.rules.sharing import TA201, TA202, TA203, TA204, TA205, TA206, TA250

ALL_RULES: tuple[Rule, ...] = (
    TA101,
    TA102,
    TA103,
    TA104,
    TA105,
    TA201,
    TA202,
    TA203,
    TA204,
    TA205,
    TA206,
    TA250,
    TA301,
    TA302,
    TA303,
    TA901,
    TA902,
    TA903,
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_ID", "Needs", "Rule", "RuleContext"]
