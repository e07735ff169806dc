"""Free-text columns: prose that may intermittently contain PII (pii-detection.md §1.5).

A column is free text when most of its values are long, multi-word and distinct (comments, notes,
descriptions). The validators then run *inside* each value, and the evidence reports the share of
rows that contain an e-mail address, a phone number, an SSN or a payment card. Only counts leave
this module; free text never gets an exemplar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from tableau_audit.classify import validators
from tableau_audit.classify.tlds import is_known_tld
from tableau_audit.classify.types import PiiType
from tableau_audit.records import frozen

MIN_PROSE_LENGTH = 20
"""A prose value has at least this many characters ..."""
MIN_PROSE_WORDS = 4
"""... and at least this many whitespace-separated words ..."""
MIN_WHITESPACE_RATIO = 0.08
"""... and at least this share of whitespace characters (English prose is about 0.15)."""
MIN_PROSE_SHARE = 0.5
"""A column is free text when this share of its values is prose ..."""
MIN_MEAN_LENGTH = 30.0
"""... their mean length is at least this ..."""
MIN_DISTINCT_RATIO = 0.5
"""... and the column's values are mostly distinct (not a category list)."""

_SSN_IN_TEXT_RE = re.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")
_CARD_IN_TEXT_RE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_MIN_PHONE_DIGITS = 7
MAX_SCAN_CHARS = 10_000
"""Only the start of a very long value is searched, so one huge cell cannot stall a run."""


@frozen
class FreeTextEvidence:
    """What the prose values of a free-text column contain. Counts only."""

    rows: int
    """Values shaped like prose."""
    pii_rows: int
    """Prose values containing at least one e-mail, phone number, SSN or payment card."""
    by_type: tuple[tuple[PiiType, int], ...] = ()
    """Prose values containing each type, in :class:`PiiType` order, types with zero omitted."""

    @property
    def pii_share(self) -> float:
        """Share of prose values that contain PII."""
        return self.pii_rows / self.rows if self.rows else 0.0


def is_prose(value: str) -> bool:
    """True for a long, multi-word value with a prose-like share of whitespace."""
    if len(value) < MIN_PROSE_LENGTH:
        return False
    words = value.split()
    if len(words) < MIN_PROSE_WORDS:
        return False
    # NOTE: str.split() and str.isspace() agree on every code point, so what the words do not
    # cover is exactly the whitespace (counting it character by character was a hot loop).
    spaces = len(value) - sum(map(len, words))
    return spaces / len(value) >= MIN_WHITESPACE_RATIO


def embedded_types(text: str, region: str) -> frozenset[PiiType]:
    """The types of PII found inside ``text`` (validated, not just pattern-shaped)."""
    text = text[:MAX_SCAN_CHARS]
    found: set[PiiType] = set()
    if "@" in text and any(
        is_known_tld(m.group(1)) for m in validators.EMAIL_IN_TEXT_RE.finditer(text)
    ):
        found.add(PiiType.EMAIL)
    if sum(map(str.isdigit, text)) < _MIN_PHONE_DIGITS:
        return frozenset(found)
    if any(validators.ssn(m.group(0)) for m in _SSN_IN_TEXT_RE.finditer(text)):
        found.add(PiiType.SSN)
    if any(validators.payment_card(m.group(0)) for m in _CARD_IN_TEXT_RE.finditer(text)):
        found.add(PiiType.PAYMENT_CARD)
    import phonenumbers  # NOTE: on first use, like validators.phone (startup time)

    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    if matcher.has_next():
        found.add(PiiType.PHONE)
    return frozenset(found)


def scan_free_text(
    values: Mapping[str, int], *, distinct_ratio: float, region: str
) -> FreeTextEvidence | None:
    """Evidence for a free-text column, or None when the values do not look like prose.

    ``values`` maps each distinct sampled value to the number of times it was sampled; every
    count in the evidence is a count of sampled rows.
    """
    total = sum(values.values())
    if not total or distinct_ratio < MIN_DISTINCT_RATIO:
        return None
    # NOTE: most columns are codes, numbers and names: too few long values settles it before
    # any value is split into words (prose is never shorter than MIN_PROSE_LENGTH).
    long_rows = sum(n for v, n in values.items() if len(v) >= MIN_PROSE_LENGTH)
    if long_rows / total < MIN_PROSE_SHARE:
        return None
    prose = {v: n for v, n in values.items() if is_prose(v)}
    rows = sum(prose.values())
    if rows / total < MIN_PROSE_SHARE:
        return None
    if sum(len(v) * n for v, n in prose.items()) / rows < MIN_MEAN_LENGTH:
        return None
    counts: dict[PiiType, int] = {}
    pii_rows = 0
    for text, n in prose.items():
        kinds = embedded_types(text, region)
        pii_rows += n if kinds else 0
        for kind in kinds:
            counts[kind] = counts.get(kind, 0) + n
    return FreeTextEvidence(
        rows=rows,
        pii_rows=pii_rows,
        by_type=tuple((t, counts[t]) for t in PiiType if t in counts),
    )
