"""Masked exemplars: show the shape of a matched value without revealing it (pii-detection.md §6).

A masked exemplar keeps the format characters (dashes, spaces, dots, brackets) and at most the
last four digits of a numeric identifier, so ``123-45-6789`` becomes ``***-**-6789``. E-mail
addresses keep only their first letters and the top-level domain (``j***@e***.org``). Names, free
text and dates of birth get no exemplar at all: even a partial name or date narrows down a person.

Every function here is total: whatever string it is given, it returns a masked string and never
raises, so a malformed value can never end up in an exception message.
"""

from __future__ import annotations

_STAR = "*"


def mask_keep_last(value: str, keep: int) -> str:
    """Replace every letter and digit with ``*`` except the last ``keep`` of them.

    Format characters (anything that is not alphanumeric) are kept, so the shape survives. At
    most half of the letters and digits are ever revealed, whatever ``keep`` says.
    """
    total = sum(1 for ch in value if ch.isalnum())
    reveal_from = total - max(0, min(keep, total // 2))
    out: list[str] = []
    seen = 0
    for ch in value:
        if ch.isalnum():
            out.append(ch if seen >= reveal_from else _STAR)
            seen += 1
        else:
            out.append(ch)
    return "".join(out)


def mask_ssn(value: str) -> str:
    """``123-45-6789`` → ``***-**-6789``; an undelimited number keeps its last four digits."""
    return mask_keep_last(value.strip(), 4)


def mask_card(value: str) -> str:
    """``4242 4242 4242 4242`` → ``**** **** **** 4242``.

    A delimited number keeps its own grouping; an undelimited one is shown in the usual
    four-digit groups whatever its length, so the mask does not reveal the length either.
    """
    text = value.strip()
    digits = [ch for ch in text if ch.isdigit()]
    if len(digits) == len(text):
        return "**** **** **** " + "".join(digits[-4:])
    return mask_keep_last(text, 4)


def mask_email(value: str) -> str:
    """``jane.doe@example.org`` → ``j***@e***.org``: first letters and the top-level domain only."""
    text = value.strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not domain:
        return "***@***"
    labels = domain.split(".")
    tld = labels[-1] if len(labels) > 1 else ""
    masked_domain = f"{labels[0][:1]}***" + (f".{tld}" if tld else "")
    return f"{local[:1]}***@{masked_domain}"


def mask_phone(value: str) -> str:
    """``+1 (415) 555-2671`` → ``+* (***) ***-**71``: the last two digits and the format."""
    return mask_keep_last(value.strip(), 2)


def mask_account(value: str) -> str:
    """Account-like identifiers (IBAN, routing, SIN, NPI, VIN): the last four characters."""
    return mask_keep_last(value.strip(), 4)


def mask_short_id(value: str) -> str:
    """Short identifiers such as a UK NINO: the last two characters."""
    return mask_keep_last(value.strip(), 2)


def mask_shape(value: str) -> str:
    """Network addresses (IP, MAC): only the separators survive (``***.***.*.**``)."""
    return mask_keep_last(value.strip(), 0)
