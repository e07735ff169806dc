"""Realistic synthetic values for the labelled column set (see ``labelled_columns.py``).

Every maker takes a seeded :class:`random.Random` and returns one text value, as a Hyper sample
would (every value cast to text). Identifiers are built the way their issuers build them (SSA
area/group/serial ranges, card IIN ranges with a Luhn digit, IBAN check digits, ABA checksums,
VIN check digits), from public specifications, not from the validators under test. All data is
fictitious.
"""

from __future__ import annotations

import datetime as dt
import random
import string

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
    "Charles", "Karen", "Christopher", "Nancy", "Daniel", "Lisa", "Matthew", "Betty", "Anthony",
    "Sandra", "Mark", "Ashley", "Donald", "Kimberly", "Steven", "Emily", "Andrew", "Donna",
    "Wei", "Mei", "Hiroshi", "Yuki", "Priya", "Arjun", "Fatima", "Omar", "Olga", "Dmitri",
    "Sofía", "José", "Chloé", "Zoë", "Siobhan", "Niamh", "Kwame", "Amara", "Lars", "Ingrid",
    "Mary-Jane", "Jean-Luc", "Anne-Marie", "Nguyen", "Thi", "Aroha", "Mateo", "Lucía", "Björn",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "O'Brien", "O'Neil", "McDonald", "MacLeod", "Smith-Jones", "Zhang", "Wang", "Tanaka",
    "Suzuki", "Patel", "Sharma", "Haddad", "Ivanova", "Kowalski", "Müller", "Schröder",
    "Nakamura", "Okafor", "Mensah", "Johansson", "Lindqvist", "Dubois", "Fernández", "Rossi",
)  # fmt: skip
COMPANY_STEMS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Cyberdyne", "Tyrell", "Wonka", "Pied Piper", "Massive Dynamic", "Oceanic", "Gringotts",
    "Blue Sun", "Monarch", "Aperture", "Black Mesa", "Dunder Mifflin", "Sterling Cooper",
    "Prestige Worldwide", "Bluth", "Virtucon", "Nakatomi", "Oscorp", "Wernham Hogg", "Genco",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Inc.", "LLC", "Ltd", "Corp", "Corporation", "GmbH", "PLC", "Holdings", "Group",
    "Industries", "Systems", "Partners", "Co.", "S.A.", "AG", "Pty Ltd", "Logistics",
)  # fmt: skip
WORDS = (
    "customer", "order", "delivery", "account", "update", "refund", "request", "support",
    "package", "invoice", "payment", "shipment", "service", "issue", "follow", "called",
    "reported", "confirmed", "delayed", "replacement", "warranty", "billing", "address",
    "changed", "resolved", "pending", "manager", "approved", "note", "agent", "today",
    "tomorrow", "morning", "afternoon", "email", "phone", "contract", "renewal", "quote",
)  # fmt: skip
STREETS = ("Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park")
STREET_KINDS = ("St", "Street", "Ave", "Avenue", "Rd", "Blvd", "Lane", "Dr", "Way", "Court")
CITIES = ("Springfield", "Riverside", "Franklin", "Greenville", "Bristol", "Madison", "Salem")
EMAIL_DOMAINS = (
    "example.com", "example.org", "example.net", "mail.example.co.uk", "corp.example.de",
    "example.io", "uni.example.edu", "example.fr", "example.com.au", "example.jp",
)  # fmt: skip
# NOTE: real NANP area codes; exchanges 200-999 (the first digit of an exchange is never 0/1).
US_AREA_CODES = (
    "201", "202", "206", "212", "213", "214", "305", "312", "303", "404", "415", "469", "503",
    "512", "602", "617", "646", "702", "713", "718", "773", "808", "818", "917", "949", "971",
)  # fmt: skip
VIN_WMIS = ("1HG", "1FA", "2T1", "JHM", "WBA", "3VW", "5YJ", "KNA", "1G1", "SAL", "WVW", "JN1")
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"


def digits(rng: random.Random, n: int) -> str:
    """``n`` random decimal digits."""
    return "".join(rng.choice(string.digits) for _ in range(n))


def luhn_digit(payload: str) -> str:
    """The check digit that makes ``payload + digit`` pass Luhn."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


# --- national identifiers -------------------------------------------------------------------


def ssn(rng: random.Random, delimiter: str = "-") -> str:
    """An SSN inside the SSA's issued ranges."""
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    return f"{area:03d}{delimiter}{group:02d}{delimiter}{serial:04d}"


def itin(rng: random.Random, delimiter: str = "-") -> str:
    """A US ITIN: area 9xx, group 70-88."""
    return f"9{digits(rng, 2)}{delimiter}{rng.randint(70, 88)}{delimiter}{rng.randint(1, 9999):04d}"


def ca_sin(rng: random.Random, delimiter: str = " ") -> str:
    """A Canadian SIN: province digit 1-7 or 9, Luhn check digit."""
    payload = rng.choice("12345679") + digits(rng, 7)
    full = payload + luhn_digit(payload)
    return delimiter.join((full[:3], full[3:6], full[6:]))


def uk_nino(rng: random.Random, spaced: bool = False) -> str:
    """A UK National Insurance number from the allocated prefix letters."""
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    while True:
        prefix = rng.choice(first) + rng.choice(second)
        if prefix not in {"BG", "GB", "NK", "KN", "TN", "NT", "ZZ"}:
            break
    body = digits(rng, 6)
    suffix = rng.choice("ABCD")
    if spaced:
        return f"{prefix} {body[:2]} {body[2:4]} {body[4:]} {suffix}"
    return f"{prefix}{body}{suffix}"


def npi(rng: random.Random) -> str:
    """A US NPI: 1 or 2, eight digits, Luhn digit over the ``80840`` prefix."""
    payload = rng.choice("12") + digits(rng, 8)
    return payload + luhn_digit("80840" + payload)


# --- payment and bank -----------------------------------------------------------------------

CARD_SCHEMES = (("4", 16), ("51", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                ("6011", 16), ("65", 16), ("3530", 16), ("36", 14), ("4", 13))  # fmt: skip


def card(rng: random.Random, style: str = "plain") -> str:
    """A Luhn-valid card number of a real scheme; ``style`` is plain, space or dash."""
    prefix, length = rng.choice(CARD_SCHEMES)
    payload = prefix + digits(rng, length - len(prefix) - 1)
    number = payload + luhn_digit(payload)
    if style == "plain":
        return number
    sep = " " if style == "space" else "-"
    groups = (4, 6, 5) if length == 15 else (4, 4, 4, 4)
    if length not in (15, 16):
        return number
    out: list[str] = []
    pos = 0
    for g in groups:
        out.append(number[pos : pos + g])
        pos += g
    return sep.join(out)


IBAN_FORMATS = {"DE": "18n", "GB": "4a14n", "FR": "23c", "NL": "4a10n", "ES": "20n", "IT": "1a22c"}


def _bban(rng: random.Random, spec: str) -> str:
    """A BBAN from a compact spec: ``4a14n`` = 4 letters then 14 digits; ``c`` = alphanumeric."""
    out: list[str] = []
    num = ""
    for ch in spec:
        if ch.isdigit():
            num += ch
            continue
        pool = {"n": string.digits, "a": string.ascii_uppercase}.get(
            ch, string.digits + string.ascii_uppercase[:6]
        )
        out.extend(rng.choice(pool) for _ in range(int(num)))
        num = ""
    return "".join(out)


def iban(rng: random.Random, spaced: bool = False) -> str:
    """An IBAN with correct check digits (ISO 13616 mod-97)."""
    country = rng.choice(sorted(IBAN_FORMATS))
    bban = _bban(rng, IBAN_FORMATS[country])
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    check = 98 - int(numeric) % 97
    value = f"{country}{check:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if spaced else value


def aba(rng: random.Random) -> str:
    """An ABA routing number: Federal Reserve prefix and the 3-7-1 check digit."""
    prefix = rng.choice([*range(1, 13), *range(21, 33), *range(61, 73)])
    d = [int(c) for c in f"{prefix:02d}" + digits(rng, 6)]
    partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return "".join(map(str, d)) + str((10 - partial % 10) % 10)


# --- contact --------------------------------------------------------------------------------


def person(rng: random.Random, style: str = "full") -> str:
    """A person's name: ``full``, ``first``, ``last``, ``middle`` (with initial) or ``sorted``."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    return {
        "first": first,
        "last": last,
        "middle": f"{first} {rng.choice(string.ascii_uppercase)}. {last}",
        "sorted": f"{last}, {first}",
    }.get(style, f"{first} {last}")


def company(rng: random.Random) -> str:
    """A (fictional) company name; most carry a legal form or a business word."""
    stem = rng.choice(COMPANY_STEMS)
    return stem if rng.random() < 0.25 else f"{stem} {rng.choice(COMPANY_SUFFIXES)}"


def email(rng: random.Random) -> str:
    """An e-mail address built from a name."""
    first = rng.choice(FIRST_NAMES).lower().replace("-", "")
    last = rng.choice(LAST_NAMES).lower().replace("'", "").replace("-", "")
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randint(1, 99)}"))
    local = local.encode("ascii", "ignore").decode()
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def us_phone(rng: random.Random, style: str = "paren") -> str:
    """A NANP number: ``paren`` (415) 555-0134, ``dash``, ``dot``, ``e164``, ``plain``."""
    area, exch, line = rng.choice(US_AREA_CODES), str(rng.randint(200, 999)), digits(rng, 4)
    return {
        "paren": f"({area}) {exch}-{line}",
        "dash": f"{area}-{exch}-{line}",
        "dot": f"{area}.{exch}.{line}",
        "e164": f"+1{area}{exch}{line}",
        "intl": f"+1 {area} {exch} {line}",
    }.get(style, f"{area}{exch}{line}")


def intl_phone(rng: random.Random) -> str:
    """A formatted international number (UK, DE, FR, AU) with its country code."""
    kind = rng.randrange(4)
    if kind == 0:
        return f"+44 20 7{digits(rng, 3)} {digits(rng, 4)}"
    if kind == 1:
        return f"+49 30 {rng.randint(2, 9)}{digits(rng, 6)}"
    if kind == 2:
        return f"+33 1 {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)} {digits(rng, 2)}"
    return f"+61 2 9{digits(rng, 3)} {digits(rng, 4)}"


def address(rng: random.Random) -> str:
    """A street address line."""
    return f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}"


# --- network and devices --------------------------------------------------------------------


def ipv4(rng: random.Random) -> str:
    """A private or public IPv4 address."""
    if rng.random() < 0.4:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    return ".".join(str(rng.randint(1, 223)) for _ in range(4))


def ipv6(rng: random.Random) -> str:
    """A global IPv6 address, compressed the usual way."""
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(5)]
    return f"2001:db8:{groups[0]}:{groups[1]}::{groups[2]}:{groups[3]}"


def mac(rng: random.Random, sep: str = ":") -> str:
    """A MAC address with ``:`` or ``-`` separators, or Cisco dotted form for ``.``."""
    raw = "".join(rng.choice("0123456789ABCDEF") for _ in range(12))
    if sep == ".":
        return ".".join(raw[i : i + 4].lower() for i in range(0, 12, 4))
    return sep.join(raw[i : i + 2] for i in range(0, 12, 2))


def vin(rng: random.Random) -> str:
    """A North American VIN with its check digit in position 9."""
    letters = (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9)
    values = dict(zip("ABCDEFGHJKLMNPRSTUVWXYZ", letters, strict=True))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    body = (
        rng.choice(VIN_WMIS)
        + "".join(rng.choice(VIN_CHARS) for _ in range(5))
        + "0"
        + rng.choice(VIN_YEARS)
        + rng.choice(VIN_CHARS)
        + digits(rng, 6)
    )
    total = sum(
        (int(c) if c.isdigit() else values[c]) * w for c, w in zip(body, weights, strict=True)
    )
    check = "X" if total % 11 == 10 else str(total % 11)
    return body[:8] + check + body[9:]


# --- dates ----------------------------------------------------------------------------------


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly random date in ``[start, end]``."""
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def birth_date(rng: random.Random, style: str = "iso") -> str:
    """A birth date between 1935 and 2008 (``iso``, ``datetime``, ``us``, ``eu``)."""
    return fmt_date(date_between(rng, dt.date(1935, 1, 1), dt.date(2008, 12, 31)), style)


def fmt_date(d: dt.date, style: str) -> str:
    """Render a date the way a Hyper text cast or a CSV would."""
    return {
        "datetime": f"{d.isoformat()} 00:00:00",
        "us": f"{d.month:02d}/{d.day:02d}/{d.year}",
        "eu": f"{d.day:02d}.{d.month:02d}.{d.year}",
    }.get(style, d.isoformat())


# --- free text ------------------------------------------------------------------------------


def sentence(rng: random.Random, words: int) -> str:
    """A plausible ticket-note sentence of ``words`` words."""
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def note(rng: random.Random, pii_share: float) -> str:
    """A note; with probability ``pii_share`` it mentions an e-mail, a phone or an SSN."""
    text = sentence(rng, rng.randint(6, 14))
    if rng.random() < pii_share:
        kind = rng.randrange(3)
        extra = (
            f"Reach the customer at {email(rng)} please."
            if kind == 0
            else f"Call back on {us_phone(rng, 'dash')} after five."
            if kind == 1
            else f"Verified with SSN {ssn(rng)} on file."
        )
        text = f"{text} {extra}"
    return text
