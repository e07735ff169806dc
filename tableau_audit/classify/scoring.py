"""Combine the name signal with value evidence into one verdict (pii-detection.md §1.4).

For every candidate type (the one the name suggests and every type some value matched),
``confidence = w_name · name_score + w_values · value_ratio`` with DataHub-style weights per type,
compared against a threshold per type. The highest confidence that passes wins; the name's type
wins ties. How the value ratio is counted:

* *weak* matches (bare 9/10-digit numbers, person-name shapes, plausible birth dates) count only
  when the name signals the same type (DataFog #158: bare digits alone are never an SSN);
* where the validators recognise every real format of a type (``EXHAUSTIVE``: SSN, cards,
  e-mail, phone, IP, date of birth, person name), values that do not match *contradict* the
  name, so ``email`` holding booleans is not an e-mail column. Elsewhere (``national_id``
  holding passport-style numbers the validators do not know) the name alone still stands;
* a name with a contradicting token (``*_id``, ``order``, ``invoice``, ``tracking``, ``year``,
  ``code``; ferret-scan #389) caps digit-shaped value evidence below any threshold, unless the
  name itself signals that type (``tax_id``);
* person names need a spread of distinct values: ``Consumer``/``Corporate`` repeated is a
  category, not a list of people.

Types without a value validator (salary, address, gender, ...) keep their name-only confidence.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import ColumnClassification, PiiType, Tier
from tableau_audit.classify.validators import DEFAULT_REGION
from tableau_audit.classify.values import ValueEvidence, evaluate_values
from tableau_audit.records import frozen

T = PiiType

MIN_SAMPLE = 20
"""Fewer non-empty values than this say too little: the verdict is the name's alone."""
CONTRADICTION_CAP = 0.5
"""Confidence ceiling for digit-shaped value evidence under a contradicting name."""
PERSON_MIN_DISTINCT = 10
"""A person-name column shows at least this many distinct names (or all-distinct values)."""


@frozen
class Weights:
    """How much the name and the values count for one type; they sum to 1."""

    name: float
    values: float
    threshold: float | None = None
    """Type-specific threshold; None means the policy's ``min_confidence``."""


# NOTE: calibrated on benchmarks/labelled_columns.py. Values weigh more than names (DataHub's
# defaults give values 0.6-0.7 for validated types) so that PII under a neutral name such as
# ``col_7`` is found when nearly every value validates (0.7 * 0.86 = 0.6).
VALUE_WEIGHTS: Mapping[PiiType, Weights] = {
    T.SSN: Weights(name=0.3, values=0.7),
    T.NATIONAL_ID: Weights(name=0.3, values=0.7),
    T.PAYMENT_CARD: Weights(name=0.3, values=0.7),
    T.BANK_ACCOUNT: Weights(name=0.3, values=0.7),
    T.HEALTH: Weights(name=0.3, values=0.7),
    T.EMAIL: Weights(name=0.3, values=0.7),
    T.PHONE: Weights(name=0.3, values=0.7),
    T.IP_ADDRESS: Weights(name=0.3, values=0.7),
    T.DEVICE_ID: Weights(name=0.3, values=0.7),
    T.PERSON_NAME: Weights(name=0.3, values=0.7),
    T.DATE_OF_BIRTH: Weights(name=0.3, values=0.7),
    T.FREE_TEXT: Weights(name=0.3, values=0.7),
}
"""Types that have value validators. Any other type is decided by its name alone."""

EXHAUSTIVE = frozenset(
    {T.SSN, T.PAYMENT_CARD, T.EMAIL, T.PHONE, T.IP_ADDRESS, T.DATE_OF_BIRTH, T.PERSON_NAME}
)
"""Types whose validators accept every legitimate value format, so a miss contradicts."""

CAPPED = frozenset(
    {T.SSN, T.NATIONAL_ID, T.PAYMENT_CARD, T.BANK_ACCOUNT, T.HEALTH, T.PHONE, T.IP_ADDRESS}
)
"""Digit-shaped types whose value evidence a contradicting name caps (ids, order numbers)."""

_CONTRADICTING = (
    "id ids key uuid guid idx index seq order orders invoice tracking year code codes parcel "
    "meter sku serial version build batch lot transaction shipment booking ticket case claim "
    "part catalog catalogue model item product"
)
CONTRADICTING_TOKENS = frozenset(_CONTRADICTING.split())
"""Words that make a name an identifier or code of something other than a person."""
_TOKEN_RE = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


class NameSignal(Protocol):
    """What the combination needs from a name match (``classify.names.NameMatch``)."""

    @property
    def pii_type(self) -> PiiType: ...
    @property
    def tier(self) -> Tier: ...
    @property
    def score(self) -> float: ...


def name_tokens(*names: str) -> frozenset[str]:
    """Lower-case word tokens of the given names (camelCase, snake_case, spaces, digits)."""
    return frozenset(t.lower() for n in names for t in _TOKEN_RE.findall(n))


def value_ratio(evidence: ValueEvidence, pii_type: PiiType, *, named: bool) -> float:
    """Share of values evidencing ``pii_type``; weak matches count only when ``named``."""
    n = evidence.sample_size
    if pii_type is T.FREE_TEXT:
        ft = evidence.free_text
        # NOTE: prose alone is not confidential; prose in which some rows carry PII is.
        return ft.rows / n if ft is not None and ft.pii_rows and n else 0.0
    ratio = evidence.ratio(pii_type, with_name=named)
    found = evidence.get(pii_type)
    if pii_type is T.PERSON_NAME and found is not None:
        ratio *= min(1.0, found.distinct / min(found.matched, PERSON_MIN_DISTINCT))
    return ratio


def _confidence(
    pii_type: PiiType, name: NameSignal | None, evidence: ValueEvidence, capped: bool
) -> float:
    """Combined confidence for one candidate type."""
    name_score = name.score if name is not None and name.pii_type is pii_type else 0.0
    weights = VALUE_WEIGHTS.get(pii_type)
    if weights is None:
        return name_score
    # NOTE: a name capped by its datatype (``dob`` stored as an integer) still names the type;
    # the capped score keeps its weight low, and the values decide.
    named = name_score > 0
    ratio = value_ratio(evidence, pii_type, named=named)
    confidence = weights.name * name_score + weights.values * ratio
    if pii_type not in EXHAUSTIVE:
        confidence = max(confidence, name_score)
    if capped and not named and pii_type in CAPPED:
        confidence = min(confidence, CONTRADICTION_CAP)
    return round(confidence, 4)


def _candidates(name: NameSignal | None, evidence: ValueEvidence) -> list[PiiType]:
    """The name's type first (it wins ties), then every type some value matched."""
    out = [name.pii_type] if name is not None else []
    out += [t.pii_type for t in evidence.types if t.pii_type not in out]
    if evidence.free_text is not None and T.FREE_TEXT not in out:
        out.append(T.FREE_TEXT)
    return out


def combine_evidence(
    *,
    name: NameSignal | None,
    names: tuple[str, ...],
    evidence: ValueEvidence,
    policy: Policy,
    name_signals: Mapping[str, object] | None = None,
) -> ColumnClassification | None:
    """The verdict for a column with sampled values, or None when nothing passes its threshold.

    ``name`` is the name classifier's match (None when the name says nothing); ``names`` are
    the column's local name, remote name and caption, read for contradicting tokens.
    ``name_signals`` is copied under ``"name"`` in the result's signals.
    """
    capped = bool(name_tokens(*names) & CONTRADICTING_TOKENS)
    best: tuple[float, PiiType] | None = None
    for pii_type in _candidates(name, evidence):
        confidence = _confidence(pii_type, name, evidence, capped)
        weights = VALUE_WEIGHTS.get(pii_type)
        threshold = policy.min_confidence
        if weights is not None and weights.threshold is not None:
            threshold = weights.threshold
        if confidence >= threshold and (best is None or confidence > best[0]):
            best = (confidence, pii_type)
    if best is None:
        return None
    confidence, pii_type = best
    named = name is not None and name.pii_type is pii_type
    tier = policy.tier_for(pii_type, name.tier if named and name is not None else None)
    return _verdict(pii_type, tier, confidence, evidence, name_signals, capped=capped)


def _verdict(
    pii_type: PiiType,
    tier: Tier,
    confidence: float,
    evidence: ValueEvidence,
    name_signals: Mapping[str, object] | None,
    *,
    capped: bool,
) -> ColumnClassification:
    """Build the classification with its value signals (counts and masked exemplars only)."""
    found = evidence.get(pii_type)
    if pii_type is T.FREE_TEXT and evidence.free_text is not None:
        match_count = evidence.free_text.rows
    else:
        match_count = found.matched if found is not None else 0
    signals: dict[str, object] = {"values": value_signals(evidence)}
    if name_signals:
        signals["name"] = dict(name_signals)
    if capped:
        signals["contradicting_name"] = True
    return ColumnClassification(
        pii_type=pii_type,
        tier=tier,
        confidence=min(1.0, confidence),
        name_only=False,
        signals=signals,
        sample_size=evidence.sample_size,
        match_count=match_count,
        exemplars=found.exemplars if found is not None else (),
    )


def value_signals(evidence: ValueEvidence) -> dict[str, object]:
    """``{"sampled": n, "matched": {type: k}, ...}``: the explanation users see. No values."""
    out: dict[str, object] = {
        "sampled": evidence.sample_size,
        "matched": {t.pii_type.value: t.matched for t in evidence.types},
        "distinct_ratio": round(evidence.distinct_ratio, 3),
    }
    ft = evidence.free_text
    if ft is not None:
        out["free_text"] = {
            "rows": ft.rows,
            "rows_with_pii": ft.pii_rows,
            "share": round(ft.pii_share, 3),
            "by_type": {t.value: k for t, k in ft.by_type},
        }
    return out


def classify_values(
    *,
    name: NameSignal | None,
    names: tuple[str, ...],
    datatype: str,
    values: Sequence[str] | ValueEvidence,
    policy: Policy,
    name_only: ColumnClassification | None,
    name_signals: Mapping[str, object] | None = None,
    region: str = DEFAULT_REGION,
) -> ColumnClassification | None:
    """Classify a column from its name signal and its sampled values (already cast to text).

    ``values`` may also be their :func:`evaluate_values` evidence, already computed (for
    ``datatype`` and ``region``), when several columns read the same values. ``name_only`` is
    the verdict from the name alone; it stands when fewer than :data:`MIN_SAMPLE` non-empty
    values were sampled, with the sample size noted in its signals. The values are read here
    and dropped: the result holds counts and masks only.
    """
    evidence = (
        values
        if isinstance(values, ValueEvidence)
        else evaluate_values(values, datatype=datatype, region=region)
    )
    if evidence.sample_size < MIN_SAMPLE:
        if name_only is None:
            return None
        note = {"sampled": evidence.sample_size, "too_few_values": True}
        return dataclasses.replace(name_only, signals={**name_only.signals, "values": note})
    return combine_evidence(
        name=name, names=names, evidence=evidence, policy=policy, name_signals=name_signals
    )
