"""Per-value validators: pattern plus checksum or rule for each identifier (pii-detection.md §3).

Each function takes one stripped text value and answers whether it is a *valid* instance of its
format, not merely whether it looks like one: Luhn for payment cards, Canadian SINs and US NPIs,
mod-97 for IBANs, the ABA checksum, the SSA's area/group/serial rules for SSNs, the VIN check
digit, a bundled TLD list for e-mail addresses and ``phonenumbers`` metadata for telephone numbers.

The functions are pure, make no network calls, and never raise or log: a value can never escape
through an exception message.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from tableau_audit.classify import phone_gate
from tableau_audit.classify.tlds import is_known_tld

# --- SSN / ITIN ------------------------------------------------------------------------------

_SSN_RE = re.compile(r"(\d{3})([- .]?)(\d{2})\2(\d{4})")
# NOTE: 078-05-1120 (Woolworth wallet card), 219-09-9999 (SSA advertisement), 123-45-6789 and
# 987-65-432x are the SSA's known misused or advertising numbers (presidio PR #349).
_SSN_KNOWN_INVALID = frozenset({"078051120", "219099999", "123456789", "457555462"})
_ITIN_GROUP_RE = re.compile(r"5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9]")


def _ssn_parts(value: str) -> tuple[str, str, str, bool] | None:
    """(area, group, serial, delimited) when the value has the SSN shape, else None."""
    m = _SSN_RE.fullmatch(value)
    if m is None:
        return None
    return m.group(1), m.group(3), m.group(4), bool(m.group(2))


def ssn(value: str) -> bool | None:
    """None if not a valid SSN; else whether it is delimited (``123-45-6789`` vs ``123456789``).

    Area ``000``, ``666`` and ``9xx`` (the ITIN range), group ``00``, serial ``0000``,
    all-same-digit and the known invalid numbers are rejected.
    """
    parts = _ssn_parts(value)
    if parts is None:
        return None
    area, group, serial, delimited = parts
    digits = area + group + serial
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        return None
    if len(set(digits)) == 1 or digits in _SSN_KNOWN_INVALID or digits.startswith("98765432"):
        return None
    return delimited


def itin(value: str) -> bool | None:
    """None if not a valid US ITIN (``9xx-[5-9]x-xxxx`` ranges); else whether it is delimited."""
    parts = _ssn_parts(value)
    if parts is None:
        return None
    area, group, serial, delimited = parts
    if not area.startswith("9") or _ITIN_GROUP_RE.fullmatch(group) is None:
        return None
    if len(set(area + group + serial)) == 1 or serial == "0000":
        return None
    return delimited


# --- Checksums ------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn mod-10 check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# --- Payment cards --------------------------------------------------------------------------

_CARD_RE = re.compile(r"\d(?:[ -]?\d){12,18}")


def _card_brand_ok(digits: str) -> bool:
    """IIN prefix and length of the major schemes (pii-detection.md §3)."""
    n = len(digits)
    p2, p3, p4, p6 = int(digits[:2]), int(digits[:3]), int(digits[:4]), int(digits[:6])
    checks = (
        digits[0] == "4" and n in (13, 16, 19),  # Visa
        (51 <= p2 <= 55 or 2221 <= p4 <= 2720) and n == 16,  # Mastercard
        p2 in (34, 37) and n == 15,  # American Express
        (p4 == 6011 or p2 == 65 or 644 <= p3 <= 649 or 622126 <= p6 <= 622925)
        and 16 <= n <= 19,  # Discover
        3528 <= p4 <= 3589 and 16 <= n <= 19,  # JCB
        (p2 in (36, 38) or 300 <= p3 <= 305) and 14 <= n <= 19,  # Diners Club
        p2 == 62 and 16 <= n <= 19,  # UnionPay
    )
    return any(checks)


def payment_card(value: str) -> bool:
    """True for a 13-19 digit number (one kind of delimiter) with a valid Luhn digit and IIN."""
    if _CARD_RE.fullmatch(value) is None or (" " in value and "-" in value):
        return False
    digits = value.replace(" ", "").replace("-", "")
    if len(set(digits)) == 1:
        return False
    return luhn_ok(digits) and _card_brand_ok(digits)


# --- E-mail ---------------------------------------------------------------------------------

_EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+([A-Za-z]{2,})"
_EMAIL_RE = re.compile(_EMAIL_PATTERN)
EMAIL_IN_TEXT_RE = re.compile(_EMAIL_PATTERN + r"\b")
"""E-mail addresses inside longer text (free-text columns); check group 1 with the TLD list."""


def email(value: str) -> bool:
    """True when the whole value is one e-mail address with a delegated top-level domain."""
    if len(value) > 254:
        return False
    m = _EMAIL_RE.fullmatch(value)
    if m is None:
        return False
    local = value.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return is_known_tld(m.group(1))


# --- Phone ----------------------------------------------------------------------------------

_PHONE_CHARS_RE = re.compile(
    r"\+?[\d(][\d\s().\-/]{5,22}\d(?:\s*(?:x|ext\.?|#)\s*\d{1,6})?", re.IGNORECASE
)
_IPV4_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE_LIKE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")


DEFAULT_REGION = "US"
"""The region of a phone number written without a country code (what every value check uses)."""


def phone(value: str, region: str) -> bool | None:
    """None if not a valid phone number; else whether it carries formatting or a ``+``.

    Bare digit strings (``4155552671``) return False: they are valid numbers but weak evidence,
    because any 10-digit id looks the same (DataFog #158).
    """
    # NOTE: bare digits (ids, amounts: most of what reaches here) cannot fail the pattern, date
    # and IPv4 checks, which are skipped for them (~1 µs a value). isdecimal, not isdigit:
    # exactly the characters the patterns' \d accepts.
    bare = value.isdecimal()
    if not bare and (
        _PHONE_CHARS_RE.fullmatch(value) is None
        or _DATE_LIKE_RE.fullmatch(value) is not None
        or _IPV4_RE.fullmatch(value) is not None
    ):
        return None
    digit_count = len(value) if bare else sum(map(str.isdigit, value))
    if not 7 <= digit_count <= 15 or _ssn_parts(value) is not None:
        return None
    if not phone_gate.may_be_valid(value, region):
        return None
    # NOTE: imported on first use: phonenumbers' metadata costs ~15 ms at startup, and most
    # runs never validate a phone number (issue 2's cold-start benchmark).
    import phonenumbers

    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return not value.isdigit()


# --- Bank -----------------------------------------------------------------------------------

# NOTE: SWIFT IBAN registry lengths, per country code.
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22,
    "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24,
    "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28, "TL": 23,
    "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
_IBAN_RE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")


def iban(value: str) -> bool:
    """True for an IBAN (spaces allowed) with its country's length and mod-97 remainder 1."""
    compact = value.replace(" ", "").upper()
    if _IBAN_RE.fullmatch(compact) is None:
        return False
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact):
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(numeric) % 97 == 1


_ABA_PREFIXES = frozenset(range(0, 13)) | frozenset(range(21, 33)) | frozenset(range(61, 73)) | {80}


def aba_routing(value: str) -> bool:
    """True for a 9-digit ABA routing number: Federal Reserve prefix and the 3-7-1 checksum."""
    if len(value) != 9 or not value.isdigit() or len(set(value)) == 1:
        return False
    if int(value[:2]) not in _ABA_PREFIXES:
        return False
    d = [int(ch) for ch in value]
    total = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return total % 10 == 0


# --- Network --------------------------------------------------------------------------------

_IPV6_RE = re.compile(r"[0-9A-Fa-f:.]{2,45}")
_MAC_RE = re.compile(r"[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}")
_MAC_DOTTED_RE = re.compile(r"[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}")


def ip_address(value: str) -> bool:
    """True for a specified IPv4 or IPv6 address (``0.0.0.0`` and ``::`` are placeholders)."""
    is_v4 = _IPV4_RE.fullmatch(value) is not None
    if not is_v4 and (":" not in value or _IPV6_RE.fullmatch(value) is None):
        return False
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        return False
    return not addr.is_unspecified


def mac_address(value: str) -> bool:
    """True for a MAC address (``00:1A:2B:3C:4D:5E``, dashes, or Cisco ``001a.2b3c.4d5e``)."""
    if _MAC_RE.fullmatch(value) is None and _MAC_DOTTED_RE.fullmatch(value) is None:
        return False
    hex_digits = [ch for ch in value.lower() if ch not in ":-."]
    return len(set(hex_digits)) > 1


# --- National identifiers -------------------------------------------------------------------

_NINO_RE = re.compile(r"(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]")
_SIN_RE = re.compile(r"(\d{3})([- ]?)(\d{3})\2(\d{3})")


def uk_nino(value: str) -> bool:
    """True for a UK National Insurance number (spaces allowed, e.g. ``AB 12 34 56 C``)."""
    return _NINO_RE.fullmatch(value.replace(" ", "").upper()) is not None


def ca_sin(value: str) -> bool | None:
    """None if not a valid Canadian SIN (Luhn, first digit not 0 or 8); else whether delimited."""
    m = _SIN_RE.fullmatch(value)
    if m is None:
        return None
    digits = m.group(1) + m.group(3) + m.group(4)
    if digits[0] in "08" or len(set(digits)) == 1 or not luhn_ok(digits):
        return None
    return bool(m.group(2))


def us_npi(value: str) -> bool:
    """True for a US National Provider Identifier: 10 digits, Luhn over ``80840`` + the digits."""
    if len(value) != 10 or not value.isdigit() or value[0] not in "12":
        return False
    return luhn_ok("80840" + value)


_VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_LETTER_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)


def vin(value: str) -> bool:
    """True for a 17-character vehicle identification number with a valid check digit (pos. 9)."""
    text = value.upper()
    if _VIN_RE.fullmatch(text) is None or text.isdigit():
        return False
    total = sum(
        (int(ch) if ch.isdigit() else _VIN_LETTER_VALUES[ch]) * w
        for ch, w in zip(text, _VIN_WEIGHTS, strict=True)
    )
    check = total % 11
    return text[8] == ("X" if check == 10 else str(check))


# --- Dates of birth -------------------------------------------------------------------------

_ISO_DATE_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_SLASH_DATE_RE = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4})")
_COMPACT_DATE_RE = re.compile(r"(19|20)(\d{2})(\d{2})(\d{2})")


def parse_date(value: str) -> dt.date | None:
    """A calendar date from ISO (``1985-03-12``, with optional time), ``03/12/1985`` (US order,
    day-first when the first part exceeds 12), ``12.03.1985`` (day-first) or a compact
    ``19850312`` (an integer column); else None."""
    try:
        m = _ISO_DATE_RE.fullmatch(value)
        if m is not None:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = _COMPACT_DATE_RE.fullmatch(value)
        if m is not None:
            return dt.date(int(m.group(1) + m.group(2)), int(m.group(3)), int(m.group(4)))
        m = _SLASH_DATE_RE.fullmatch(value)
        if m is None:
            return None
        first, second, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
        day_first = m.group(2) == "." or first > 12
        month, day = (second, first) if day_first else (first, second)
        return dt.date(year, month, day)
    except ValueError:
        return None


def plausible_birth_date(value: str, today: dt.date) -> bool:
    """True for a date that makes an age between 0 and 120 years and is not in the future."""
    born = parse_date(value)
    if born is None or born > today:
        return False
    return today.year - born.year <= 120


# --- Person names ---------------------------------------------------------------------------

_NAME_TOKEN_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['\u2019-](?=[^\W\d_]))*", re.UNICODE)
_PARTICLES = frozenset(
    {"van", "von", "de", "da", "del", "della", "der", "di", "du", "la", "le", "bin", "al", "y"}
)
# NOTE: legal-form and business words: values like "Acme Holdings Ltd" have the shape of a
# name but are organisations (issue 3: company names in customer_name-like columns).
_ORGANISATION_WORDS = frozenset({
    "inc", "llc", "ltd", "plc", "corp", "corporation", "co", "company", "gmbh", "ag", "sa", "sas",
    "srl", "bv", "nv", "oy", "ab", "as", "kg", "pty", "limited", "group", "holdings", "partners",
    "associates", "industries", "international", "solutions", "services", "systems",
    "technologies", "technology", "enterprises", "consulting", "bank", "trust", "foundation",
    "university", "college", "school", "hospital", "clinic", "agency", "studio", "studios",
    "labs", "laboratories", "store", "stores", "shop", "market", "restaurant", "hotel", "motors",
    "airlines", "media", "software", "networks", "logistics", "capital", "ventures", "fund",
})  # fmt: skip


def person_name(value: str) -> bool:
    """True for 1-4 capitalised tokens of letters, ``'`` and ``-`` (``Mary-Jane O'Neil``).

    One token is a first- or last-name column (``Smith``); two to four a full name. A comma
    after the first token (``Smith, John``), middle initials (``J.``) and lower-case particles
    (``van``, ``de``) are allowed; organisation words (``Ltd``, ``Holdings``) reject the value.
    Only meaningful with a person-name signal from the column name: ``Consumer`` has the shape.
    An all-capitals value (``JOHN SMITH``, common in legacy systems) is judged in title case.
    """
    if value.isupper():
        value = value.title()
    tokens = value.replace(",", " ", 1).split()
    if not 1 <= len(tokens) <= 4 or len(value) > 60 or len(value) < 2:
        return False
    capitalised = 0
    for i, tok in enumerate(tokens):
        if tok.lower().rstrip(".") in _ORGANISATION_WORDS:
            return False
        if i > 0 and len(tok) == 2 and tok[1] == "." and tok[0].isupper():
            continue
        if 0 < i < len(tokens) - 1 and tok in _PARTICLES:
            continue
        if _NAME_TOKEN_RE.fullmatch(tok) is None or not tok[0].isupper():
            return False
        if len(tok) > 1 and tok[1:].isupper() and "-" not in tok and "'" not in tok:
            return False
        capitalised += 1
    return capitalised >= min(2, len(tokens))
