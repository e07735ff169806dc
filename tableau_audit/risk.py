"""Risk of one item from its findings.

NOTE: a first, simple model (issue 2): the level follows the worst finding and the score grows
with the number of findings. Issue 5 replaces it with sensitivity × exposure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tableau_audit.findings import Finding, Risk, RiskLevel, Severity

_BASE_SCORE = {
    Severity.INFO: 5,
    Severity.LOW: 20,
    Severity.MEDIUM: 45,
    Severity.HIGH: 70,
    Severity.CRITICAL: 90,
}
_LEVEL = {
    Severity.INFO: RiskLevel.LOW,
    Severity.LOW: RiskLevel.LOW,
    Severity.MEDIUM: RiskLevel.MEDIUM,
    Severity.HIGH: RiskLevel.HIGH,
    Severity.CRITICAL: RiskLevel.CRITICAL,
}


def assess_risk(findings: Sequence[Finding]) -> Risk:
    """Level of the worst finding; score = its base plus 2 per further finding at that level."""
    if not findings:
        return Risk(level=RiskLevel.NONE, score=0, reasons=("no findings",))
    worst = max(f.severity for f in findings)
    at_worst = sum(1 for f in findings if f.severity == worst)
    score = min(_BASE_SCORE[worst] + 2 * (at_worst - 1), _BASE_SCORE[worst] + 9, 100)
    by_rule = Counter(f.rule_id for f in findings if f.severity == worst)
    reasons = tuple(
        f"{count} {worst.label} finding{'s' if count > 1 else ''} of {rule_id}"
        for rule_id, count in sorted(by_rule.items())
    )
    return Risk(level=_LEVEL[worst], score=score, reasons=reasons)
