"""Value evidence: run the validators over a column's sampled values (pii-detection.md §1.3, §3).

:func:`evaluate_values` turns an in-memory sample into a :class:`ValueEvidence`: per type, how many
values matched, how many of those count without a name signal, how distinct they are, and at most
three masked exemplars. The result holds no raw value, so it may be logged, cached and reported;
the sample itself is dropped by the caller once this returns.

Some matches are *weak*: they count only when the column name signals the same type. Bare 9- and
10-digit numbers (SSN, ITIN, SIN, ABA routing, NPI, phone), because every numeric id looks the
same (DataFog #158, ferret-scan #389); and dates of birth and person names, because any date or
any two capitalised words would otherwise match. Booleans and years never match anything.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tableau_audit.classify import mask, validators
from tableau_audit.classify.freetext import FreeTextEvidence, scan_free_text
from tableau_audit.classify.types import PiiType
from tableau_audit.records import frozen

MAX_EXEMPLARS = 3


class Detector(str, enum.Enum):
    """One value validator; several may evidence the same :class:`PiiType`."""

    SSN = "us_ssn"
    ITIN = "us_itin"
    UK_NINO = "uk_nino"
    CA_SIN = "ca_sin"
    PAYMENT_CARD = "payment_card"
    IBAN = "iban"
    ABA_ROUTING = "aba_routing"
    US_NPI = "us_npi"
    EMAIL = "email"
    PHONE = "phone"
    IP_ADDRESS = "ip_address"
    MAC_ADDRESS = "mac_address"
    VIN = "vin"
    DATE_OF_BIRTH = "date_of_birth"
    PERSON_NAME = "person_name"


DETECTOR_TYPES: dict[Detector, PiiType] = {
    Detector.SSN: PiiType.SSN,
    Detector.ITIN: PiiType.NATIONAL_ID,
    Detector.UK_NINO: PiiType.NATIONAL_ID,
    Detector.CA_SIN: PiiType.NATIONAL_ID,
    Detector.PAYMENT_CARD: PiiType.PAYMENT_CARD,
    Detector.IBAN: PiiType.BANK_ACCOUNT,
    Detector.ABA_ROUTING: PiiType.BANK_ACCOUNT,
    Detector.US_NPI: PiiType.HEALTH,
    Detector.EMAIL: PiiType.EMAIL,
    Detector.PHONE: PiiType.PHONE,
    Detector.IP_ADDRESS: PiiType.IP_ADDRESS,
    Detector.MAC_ADDRESS: PiiType.DEVICE_ID,
    Detector.VIN: PiiType.DEVICE_ID,
    Detector.DATE_OF_BIRTH: PiiType.DATE_OF_BIRTH,
    Detector.PERSON_NAME: PiiType.PERSON_NAME,
}
"""Which type each detector evidences. VINs identify a vehicle and so its owner: device id."""

_MASKS: dict[Detector, Callable[[str], str] | None] = {
    Detector.SSN: mask.mask_ssn,
    Detector.ITIN: mask.mask_ssn,
    Detector.UK_NINO: mask.mask_short_id,
    Detector.CA_SIN: mask.mask_account,
    Detector.PAYMENT_CARD: mask.mask_card,
    Detector.IBAN: mask.mask_account,
    Detector.ABA_ROUTING: mask.mask_account,
    Detector.US_NPI: mask.mask_account,
    Detector.EMAIL: mask.mask_email,
    Detector.PHONE: mask.mask_phone,
    Detector.IP_ADDRESS: mask.mask_shape,
    Detector.MAC_ADDRESS: mask.mask_shape,
    Detector.VIN: mask.mask_account,
    Detector.DATE_OF_BIRTH: None,  # pii-detection.md §6: no exemplar for dates of birth
    Detector.PERSON_NAME: None,  # ... nor for names
}

_BOOLEAN_TYPES = frozenset({"boolean", "bool"})
_DECIMAL_TYPES = frozenset({"real", "double", "double precision", "float", "numeric", "decimal"})
_ZERO_SCALE_RE = re.compile(r"(?<=\d)\.0+$")
_DATE_TYPES = frozenset({"date", "datetime", "timestamp", "timestamp_tz", "timestamptz"})


@frozen
class TypeEvidence:
    """How the sampled values of one column evidence one type. Counts and masks only."""

    pii_type: PiiType
    matched: int
    """Values that passed a validator of this type (each value counted once)."""
    strong: int
    """Of those, values that count without a name signal (delimited, formatted, checksummed)."""
    distinct: int
    """Distinct matched values."""
    detectors: tuple[tuple[Detector, int], ...]
    """Matches per validator, e.g. ``((Detector.CA_SIN, 48),)``."""
    exemplars: tuple[str, ...] = ()
    """At most three masked exemplars; empty for names and dates of birth."""

    @property
    def distinct_ratio(self) -> float:
        """Distinct matched values over matched values."""
        return self.distinct / self.matched if self.matched else 0.0


@frozen
class ValueEvidence:
    """Everything the values of one column say, without any of the values."""

    sample_size: int
    """Non-empty values evaluated."""
    distinct_ratio: float
    """Distinct values over ``sample_size`` (0 when nothing was sampled)."""
    types: tuple[TypeEvidence, ...] = ()
    """One entry per type with at least one match, in :class:`PiiType` order."""
    free_text: FreeTextEvidence | None = None
    """Set when the column looks like prose; counts the rows with e-mails, phones, SSNs, cards."""

    def get(self, pii_type: PiiType) -> TypeEvidence | None:
        """The evidence for ``pii_type``, or None when no value matched it."""
        return next((t for t in self.types if t.pii_type is pii_type), None)

    def ratio(self, pii_type: PiiType, *, with_name: bool) -> float:
        """Share of sampled values matching ``pii_type``; weak matches count only ``with_name``."""
        found = self.get(pii_type)
        if found is None or not self.sample_size:
            return 0.0
        return (found.matched if with_name else found.strong) / self.sample_size


def _detect(value: str, *, is_date_type: bool, region: str, today: dt.date) -> dict[Detector, bool]:
    """Detectors that accept ``value``, each with whether the match is strong.

    NOTE: each validator runs only when the value has a shape it could accept (a first
    character, a length, a separator its pattern requires), so a typical value meets one or two
    validators rather than fifteen (issue 2, scan speed). A guard never rejects a value its
    validator would accept: tests/classify/test_speed_equivalence.py pins the answers.
    """
    hits: dict[Detector, bool] = {}
    if is_date_type:
        # NOTE: a value of a DATE/TIMESTAMP column is a date: only the date-of-birth check
        # applies. Read as digits, 2014-05-03 00:00:00 could pass for a phone number or a card.
        if validators.plausible_birth_date(value, today):
            hits[Detector.DATE_OF_BIRTH] = False
        return hits
    if value.isdigit():
        _detect_bare_digits(value, hits, region)
    elif "@" in value:
        if validators.email(value):
            hits[Detector.EMAIL] = True
    else:
        _detect_formatted(value, hits, region)
    # Every date format parse_date reads (ISO, d/m/yyyy, yyyymmdd) has at least 8 characters.
    if len(value) >= 8 and value[:1].isdigit() and validators.plausible_birth_date(value, today):
        hits[Detector.DATE_OF_BIRTH] = False
    if value[:1].isalpha() and validators.person_name(value):
        hits[Detector.PERSON_NAME] = False
    return hits


def _detect_bare_digits(value: str, hits: dict[Detector, bool], region: str) -> None:
    """Bare digit strings: cards are strong (Luhn + IIN); the 9/10-digit ids are weak.

    Cards have 13-19 digits and phone numbers 7-15; most sampled numbers (counts, amounts,
    years, short codes) have fewer than 7 and meet no validator at all.
    """
    n = len(value)
    if 13 <= n <= 19 and validators.payment_card(value):
        hits[Detector.PAYMENT_CARD] = True
    if n == 9:
        checks = (
            (Detector.SSN, validators.ssn(value) is not None),
            (Detector.ITIN, validators.itin(value) is not None),
            (Detector.CA_SIN, validators.ca_sin(value) is not None),
            (Detector.ABA_ROUTING, validators.aba_routing(value)),
        )
        hits.update((det, False) for det, ok in checks if ok)
    if n == 10 and validators.us_npi(value):
        hits[Detector.US_NPI] = False
    if 7 <= n <= 15 and validators.phone(value, region) is not None:
        hits[Detector.PHONE] = False


def _detect_formatted(value: str, hits: dict[Detector, bool], region: str) -> None:
    """Values with letters or separators (no ``@``): delimited and checksummed formats are strong.

    The guards follow the validators' patterns: SSNs, SINs and cards start with a digit, phone
    numbers with a digit, ``+`` or ``(``; IBANs and NINOs with a letter; an IP address has
    three dots or a colon; a MAC address has 14 or 17 characters; a VIN is letters and digits
    only (no character outside those upper-cases into one).
    """
    n = len(value)
    lead = value[0]
    digit_lead = lead.isdigit()
    # NOTE: 11 characters: a 9-character SSN or SIN without delimiters is all digits (bare path).
    if digit_lead and n == 11:
        delimited = (
            (Detector.SSN, validators.ssn(value)),
            (Detector.ITIN, validators.itin(value)),
            (Detector.CA_SIN, validators.ca_sin(value)),
        )
        hits.update((det, strong) for det, strong in delimited if strong is not None)
    if n >= 7 and (digit_lead or lead in "+("):
        strong = validators.phone(value, region)
        if strong is not None:
            hits[Detector.PHONE] = strong
    if digit_lead and n >= 13 and validators.payment_card(value):
        hits[Detector.PAYMENT_CARD] = True
    if lead.isalpha():
        if validators.iban(value):
            hits[Detector.IBAN] = True
        if validators.uk_nino(value):
            hits[Detector.UK_NINO] = True
    if (":" in value or value.count(".") == 3) and validators.ip_address(value):
        hits[Detector.IP_ADDRESS] = True
    if n in (14, 17) and validators.mac_address(value):
        hits[Detector.MAC_ADDRESS] = True
    if value.isalnum() and validators.vin(value):
        hits[Detector.VIN] = True


@dataclass(slots=True)
class _Tally:
    """Mutable per-type counters while scanning one sample (never leaves this module)."""

    matched: int = 0
    strong: int = 0
    distinct: int = 0
    per_detector: dict[Detector, int] = field(default_factory=dict)
    exemplars: list[str] = field(default_factory=list)


def _record(tally: _Tally, value: str, count: int, found: dict[Detector, bool]) -> None:
    """Count one distinct value (seen ``count`` times) for one type; keep up to three masks."""
    tally.matched += count
    tally.strong += count if any(found.values()) else 0
    tally.distinct += 1
    for det in found:
        tally.per_detector[det] = tally.per_detector.get(det, 0) + count
    masker = next((m for det in found if (m := _MASKS[det]) is not None), None)
    if masker is not None and len(tally.exemplars) < MAX_EXEMPLARS:
        masked = masker(value)
        if masked not in tally.exemplars:
            tally.exemplars.append(masked)


def evaluate_values(
    values: Sequence[str],
    *,
    datatype: str,
    region: str = validators.DEFAULT_REGION,
    today: dt.date | None = None,
) -> ValueEvidence:
    """Evaluate a column's sampled values (already cast to text) against every validator.

    ``datatype`` is the Tableau or Hyper type name; booleans are never PII by value. ``region``
    is the default region for phone numbers without a country code. ``today`` anchors the
    date-of-birth age range (0-120 years, not in the future). NULLs and empty strings must
    already be gone; surrounding whitespace is ignored.
    """
    counts = _count(values, datatype)
    n = sum(counts.values())
    distinct_ratio = len(counts) / n if n else 0.0
    if not n or datatype.lower() in _BOOLEAN_TYPES:
        return ValueEvidence(sample_size=n, distinct_ratio=distinct_ratio)
    is_date_type = datatype.lower() in _DATE_TYPES
    is_decimal_type = datatype.lower() in _DECIMAL_TYPES
    anchor = today or dt.date.today()
    tallies: dict[PiiType, _Tally] = {}
    # NOTE: each distinct value is validated once (categories, flags and codes repeat a lot);
    # Counter keeps first-seen order, so exemplars stay deterministic.
    for value, count in counts.items():
        if len(value) < 7 and value.isdigit():
            continue  # a number of fewer than 7 digits meets no validator (_detect_bare_digits)
        if is_decimal_type and "." in value:
            continue  # a fraction survived _count: a measurement, never an identifier or a date
        hits = _detect(value, is_date_type=is_date_type, region=region, today=anchor)
        by_type: dict[PiiType, dict[Detector, bool]] = {}
        for det, strong in hits.items():
            by_type.setdefault(DETECTOR_TYPES[det], {})[det] = strong
        for pii_type, found in by_type.items():
            tally = tallies.setdefault(pii_type, _Tally())
            _record(tally, value, count, found)
    return ValueEvidence(
        sample_size=n,
        distinct_ratio=distinct_ratio,
        types=tuple(_freeze(t, tallies[t]) for t in PiiType if t in tallies),
        free_text=scan_free_text(counts, distinct_ratio=distinct_ratio, region=region),
    )


def _count(values: Sequence[str], datatype: str) -> Counter[str]:
    """Occurrences of each distinct stripped, non-empty value, in first-seen order."""
    counts = Counter(map(str.strip, values))
    counts.pop("", None)
    if datatype.lower() not in _DECIMAL_TYPES:
        return counts
    # NOTE: Hyper renders an integral NUMERIC/DOUBLE as ``123456789.00``: drop the zero scale
    # so an id or phone number stored as a decimal is judged by its digits. Merging the counts
    # keeps the first-seen order of the merged values.
    merged: Counter[str] = Counter()
    for value, count in counts.items():
        merged[_ZERO_SCALE_RE.sub("", value)] += count
    return merged


def _freeze(pii_type: PiiType, tally: _Tally) -> TypeEvidence:
    """The immutable, value-free summary of one tally."""
    return TypeEvidence(
        pii_type=pii_type,
        matched=tally.matched,
        strong=tally.strong,
        distinct=tally.distinct,
        detectors=tuple((d, tally.per_detector[d]) for d in Detector if d in tally.per_detector),
        exemplars=tuple(tally.exemplars),
    )
