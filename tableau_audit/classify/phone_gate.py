"""A cheap, exact pre-check for phone numbers: can ``phonenumbers`` find a valid number here?

Most digit strings in a sample (ids, amounts, decimals) are not phone numbers, and proving it with
``phonenumbers.is_valid_number`` is slow for the default region: a number of the North American
plan is tried against each of the 25 NANP regions in turn. :func:`may_be_valid` answers False
only when ``phonenumbers.parse(value, region)`` cannot yield a valid number, reasoning from
nothing but phonenumbers' own metadata:

* a value made of ASCII digits, whitespace and ``( ) . - /`` has no ``+``, no letters and no
  extension. When its digits do not start with the region's international (IDD) prefix, the
  parsed number gets the region's country code, and its national significant number is its
  digits with a prefix removed: the country code, a national prefix, or both (parsing removes
  at most three such prefixes, and nothing else when the region's metadata has no national
  prefix *transform* rule);
* ``is_valid_number`` holds only when that national number matches, for one of the regions of
  its country code, the general description (possible lengths and pattern) *and* the
  description of one number type (fixed line, mobile, toll free, ...).

So the digits, and every suffix up to three such removals away, are tried against one combined
pattern per length: first the general descriptions (small), then the number types (a large
pattern, compiled on first need). Any other value (a ``+``, letters, an extension, non-ASCII
digits) or region (one whose metadata has a transform rule) answers True, and phonenumbers
decides. The pre-check never changes an answer: ``tests/classify/test_phone_gate.py`` holds it to
that against phonenumbers itself.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from tableau_audit.records import frozen

if TYPE_CHECKING:
    from phonenumbers.phonemetadata import PhoneMetadata

__all__ = ["may_be_valid", "prepare"]

_PLAIN_RE = re.compile(r"[0-9\s().\-/]+")
_NOT_DIGIT_RE = re.compile(r"[^0-9]")
_MAX_REMOVALS = 3
"""Country code, then a national prefix, then (in ``parse``) a national prefix once more."""


@frozen
class _Gate:
    """What a valid number parsed with one default region must look like."""

    idd: re.Pattern[str]
    country_code: str
    national_prefixes: tuple[re.Pattern[str], ...]
    general: Mapping[int, re.Pattern[str]]
    """Per national-number length, the general descriptions of that length, as one pattern."""
    typed: Mapping[int, str]
    """Per length, one pattern: a region's general description and one of its number types."""

    def fits(self, national: str) -> bool:
        """True when ``national`` has the general description and a type of some region."""
        general = self.general.get(len(national))
        if general is None or general.fullmatch(national) is None:
            return False
        return _compile(self.typed[len(national)]).fullmatch(national) is not None

    def national_numbers(self, digits: str) -> set[str]:
        """``digits`` and every suffix that prefix removals during parsing can leave."""
        if not digits.startswith(self.country_code) and not any(
            p.match(digits) for p in self.national_prefixes
        ):
            return {digits}  # nothing to remove: the common case
        found = {digits}
        frontier = [digits]
        for _ in range(_MAX_REMOVALS):
            reached: list[str] = []
            for number in frontier:
                cuts = [len(self.country_code)] if number.startswith(self.country_code) else []
                cuts += [m.end() for p in self.national_prefixes if (m := p.match(number))]
                for cut in cuts:
                    if cut and number[cut:] not in found:
                        found.add(number[cut:])
                        reached.append(number[cut:])
            frontier = reached
        return found


def may_be_valid(value: str, region: str) -> bool:
    """False only when ``phonenumbers`` cannot parse ``value`` into a valid number for ``region``.

    ``value`` has already passed the phone validator's own shape checks.
    """
    if not value.isascii():
        return True
    plain = value.isdigit()
    if not plain and _PLAIN_RE.fullmatch(value) is None:
        return True
    gate = _gate(region.upper())
    if gate is None:
        return True
    digits = value if plain else _NOT_DIGIT_RE.sub("", value)
    if not digits or gate.idd.match(digits) is not None:
        return True
    return any(gate.fits(national) for national in gate.national_numbers(digits))


def prepare(region: str) -> None:
    """Build the pre-check of ``region`` now (importing ``phonenumbers``), not on first use."""
    _gate(region.upper())


# NOTE: bounded and keyed by region only; it holds phonenumbers' metadata in another form,
# never a value or a setting. Built on first use, so startup does not pay for it.
@functools.lru_cache(maxsize=8)
def _gate(region: str) -> _Gate | None:
    """The pre-check for ``region``, or None when the reasoning above does not hold for it."""
    import phonenumbers
    from phonenumbers.phonemetadata import PhoneMetadata

    metadata = PhoneMetadata.metadata_for_region(region, None)
    if metadata is None or metadata.international_prefix is None:
        return None
    code = metadata.country_code
    if code is None:
        return None
    main = PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(code), None)
    parsing = [m for m in (metadata, main) if m is not None]
    if any(m.national_prefix_transform_rule for m in parsing):
        return None
    prefixes = {m.national_prefix_for_parsing for m in parsing if m.national_prefix_for_parsing}
    general: dict[int, list[str]] = {}
    typed: dict[int, list[str]] = {}
    for region_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        desc = PhoneMetadata.metadata_for_region(region_code, None)
        whole = desc.general_desc if desc is not None else None
        pattern = whole.national_number_pattern if whole is not None else None
        if desc is None or whole is None or not pattern:
            continue  # phonenumbers never finds a number of this region valid
        if not whole.possible_length:
            return None  # valid at any length: no metadata says so today; no shortcut then
        for length, both in _typed_patterns(desc, whole.possible_length, pattern):
            general.setdefault(length, []).append(pattern)
            typed.setdefault(length, []).append(both)
    return _Gate(
        idd=re.compile(metadata.international_prefix),
        country_code=str(code),
        national_prefixes=tuple(re.compile(p) for p in sorted(prefixes)),
        general={n: re.compile(_alternation(patterns)) for n, patterns in general.items()},
        typed={n: _alternation(patterns) for n, patterns in typed.items()},
    )


_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip
"""The number types ``phonenumbers`` tries before answering UNKNOWN (``_number_type_helper``)."""


def _typed_patterns(
    desc: PhoneMetadata, lengths: Iterable[int], general: str
) -> Iterator[tuple[int, str]]:
    """Per length of the region's general description, one pattern that matches exactly the
    numbers of that length with the general description and at least one number type."""
    for length in lengths:
        types = [
            d.national_number_pattern
            for d in (getattr(desc, name) for name in _TYPES)
            if d is not None
            and d.national_number_pattern
            and (not d.possible_length or length in d.possible_length)
        ]
        if types:
            # NOTE: the lookahead makes the general description a condition on the whole number.
            yield length, rf"(?=(?:{general})\Z)(?:{_alternation(types)})"


@functools.lru_cache(maxsize=16)
def _compile(pattern: str) -> re.Pattern[str]:
    """The large per-length type patterns, compiled once each (about 15 ms for NANP)."""
    return re.compile(pattern)


def _alternation(patterns: list[str]) -> str:
    """One pattern that fully matches what any of ``patterns`` fully matches."""
    return "|".join(f"(?:{p})" for p in dict.fromkeys(patterns))
