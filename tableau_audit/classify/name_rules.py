"""Column-name rules: token patterns per type, type profiles and word lists (pii-detection.md §2).

Patterns are regular expressions over the *tokenised* name (lower-case tokens joined by single
spaces, abbreviations expanded, see :func:`tableau_audit.classify.names.tokenize`), always matched
on whole tokens: ``ssn`` matches ``emp ssn`` but never ``lessnumber``. A pattern says what a column
*is*; the profile of its type says which words may follow it without changing what the column holds
(``phone number``, ``diagnosis code``) and the shared word lists say which ones turn it into
something else (``email verified``, ``card type``, ``arrest count``).

Scores are the name signal's strength, 0..1, compared against the policy threshold (0.6 by
default): about 0.9 for an unambiguous name, 0.75-0.85 for a common word that usually means the
type, and 0.6-0.7 for names that are only often the type (``income``, ``latitude``).
"""

from __future__ import annotations

import functools
import re

from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.records import frozen

T = PiiType


@frozen
class NameRule:
    """One token pattern that names a type."""

    pii_type: PiiType
    pattern: str
    score: float
    tier: Tier | None = None
    """Tier of this rule when it differs from the type's (a bare ``description`` is low)."""
    needs_context: frozenset[str] = frozenset()
    """At least one of these tokens must appear in the name or its context (data-source caption)."""
    leading_only: frozenset[str] | None = None
    """When set, every token before the match must be one of these."""
    not_after: frozenset[str] = frozenset()
    """The match does not count when the token just before it is one of these."""
    datatypes: frozenset[str] | None = None
    """When set, the rule applies only to these datatype kinds (``number``, ``text``, ...)."""

    @property
    def regex(self) -> re.Pattern[str]:
        """The pattern on whole tokens of the joined name, compiled on first use."""
        return token_regex(self.pattern)


# NOTE: compiled on first use rather than at import: most runs meet a few rules, and compiling
# all of them cost ~15 ms of every start (issue 2). Bounded; keyed by a rule pattern, never by
# a name or a value.
@functools.lru_cache(maxsize=256)
def token_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` matched on whole tokens of a joined name: ``ssn`` never in ``lessnumber``."""
    return re.compile(rf"(?<![^ ])(?:{pattern})(?![^ ])")


@frozen
class TypeProfile:
    """How a type reacts to the words around its match and to the column's datatype."""

    text_only: bool = False
    """Values are text: a numeric datatype contradicts the name."""
    attribute: bool = False
    """The type is an attribute of a person (a diagnosis, a conviction), so a boolean
    (``felony_flag``, ``hiv_positive``) still discloses it. Otherwise a boolean contradicts."""
    identifier: bool = False
    """The type is an identifier: ``id``, ``number``, ``code`` after the match keep its meaning."""
    dated: bool = False
    """Dates of the type are themselves sensitive (``arrest date``, ``diagnosis date``)."""
    wants_date: bool = False
    """A date datatype strengthens the name; a numeric one contradicts it (date of birth)."""
    numbered: bool = True
    """A number after the match keeps its meaning (``email_2``); not for ``age 10`` (a bucket)."""
    keep: frozenset[str] = frozenset()
    """Type-specific words that may follow the match without changing its meaning."""


def words(text: str) -> frozenset[str]:
    """The space-separated words of ``text`` as a set."""
    return frozenset(text.split())


_w = words


NEUTRAL = _w(
    "primary secondary alt alternate alternative other home work personal business office main "
    "raw clean cleaned normalized normalised full value val txt text str string masked encrypted "
    "enc current curr new old prev previous orig original confirm confirmation legal preferred "
    "actual info information details detail data field c pii sensitive"
)
"""Qualifiers that may follow any match (``email_primary``, ``Email__c``, ``phone_raw``)."""

DESCRIPTORS = _w(
    "verified verification validated valid validity invalid flag flags flg ind indicator count "
    "counts cnt type types status category kind format length len opt optin optout consent "
    "enabled disabled enable disable sent bounced bounce domain provider present exists exist "
    "missing changed change updated update available required pct percent percentage rate ratio "
    "share sum avg average mean median min max template source method preference preferences pref "
    "frequency setting settings policy rule rules mode version expiry expiration expires expired "
    "attempts attempt reset match matched score confidence quality label country state city "
    "region locale language lang currency brand model os app platform browser visible visibility "
    "shown hidden allowed permission bucket bin bins tier level hash hashed set"
)
"""Words after a match that make the column *about* the thing, not it (``email_verified``)."""

TIME_WORDS = _w(
    "date dt time timestamp ts at on year yr month day hour week quarter created modified when "
    "since until"
)
"""Words after a match that make the column a point in time (``email_sent_date``)."""

ID_WORDS = _w(
    "id ids key keys code codes ref reference number numbers idx index seq sk fk pk uuid guid"
)
"""Words after a match that make a non-identifier type a key (``address_id``, ``note_id``)."""

LEADING_CAPS = _w(
    "is has have had was were with without count cnt pct percent percentage avg average mean "
    "median min max sum ratio share distinct valid invalid verified unverified missing num nb of"
)
"""Words before a match that make the column a flag or an aggregate (``has_phone``, ``avg_pay``)."""

FIRST_CAPS = _w("no n")
"""First tokens that negate or count (``no_email``, ``n_phones``)."""

PERSON_ENTITIES = (
    "customer client person employee patient contact member owner manager student teacher doctor "
    "physician nurse applicant candidate driver passenger guest resident tenant recipient sender "
    "author parent guardian spouse child father mother beneficiary policyholder holder victim "
    "suspect defendant offender witness individual citizen voter donor volunteer staff worker rep "
    "representative salesperson supervisor approver requester requestor assignee reviewer "
    "submitter traveler traveller attendee participant respondent subscriber buyer borrower "
    "insured caller consumer shopper player athlete inmate arrestee emergency"
)
_PERSON = PERSON_ENTITIES.replace(" ", "|")
PERSON_CONTEXT = _w(PERSON_ENTITIES) | _w("people persons staff")
"""Context words (data-source caption, Tableau's ``(table)`` suffix) that make a bare ``name``
a person's name."""

NON_POSTAL_ADDRESS = _w(
    "email mail ip ipv mac web url wallet server host remote client visitor network memory bitcoin "
    "btc eth contract internet hardware base start end ethernet"
)
"""Words before ``address`` that make it something other than a street address."""

CRIMINAL_CONTEXT = _w(
    "criminal arrest arrests arrested booking jail police court offense offenses offender felony "
    "misdemeanor inmate inmates sheriff prison conviction convictions crime crimes custody "
    "detention incarceration"
)

NON_BIOMETRIC_PRINT = _w("device browser canvas file tls ssl key certificate cert ssh hardware")
"""Words before ``fingerprint`` that make it a hash or a device identifier."""

FREE_TEXT_LEAD = _w(
    "case incident complaint call visit patient customer client employee contact long full free "
    "detailed additional user problem issue"
)

_NUMBER = "( number)?"

PROFILES: dict[PiiType, TypeProfile] = {
    T.SSN: TypeProfile(identifier=True, keep=_w("last")),
    T.NATIONAL_ID: TypeProfile(identifier=True),
    T.DRIVERS_LICENSE: TypeProfile(identifier=True),
    T.PASSPORT: TypeProfile(identifier=True),
    T.PAYMENT_CARD: TypeProfile(identifier=True, keep=_w("last")),
    T.BANK_ACCOUNT: TypeProfile(identifier=True),
    T.CREDENTIAL: TypeProfile(
        keep=_w("hash hashed digest plain plaintext cleartext bcrypt sha md5 salted")
    ),
    T.HEALTH: TypeProfile(
        attribute=True,
        identifier=True,
        dated=True,
        keep=_w(
            "description desc type category status level severity name details history result "
            "results flag indicator list condition group cm notes"
        ),
    ),
    T.CRIMINAL_RECORD: TypeProfile(
        attribute=True,
        identifier=True,
        dated=True,
        keep=_w(
            "description desc type category status level degree class severity details history "
            "record records flag indicator statute disposition charge charges"
        ),
    ),
    T.BIOMETRIC: TypeProfile(attribute=True, keep=_w("template data hash image scan")),
    T.EMAIL: TypeProfile(text_only=True, keep=_w("address id cc bcc to")),
    T.PHONE: TypeProfile(
        keep=_w("number ext extension mobile cell office day evening night direct landline")
    ),
    T.PERSON_NAME: TypeProfile(text_only=True, keep=_w("first last initial initials")),
    T.DATE_OF_BIRTH: TypeProfile(wants_date=True),
    T.AGE: TypeProfile(
        numbered=False, keep=_w("group band bracket range bucket years yrs year months at")
    ),
    T.STREET_ADDRESS: TypeProfile(text_only=True, keep=_w("line street name")),
    T.POSTAL_CODE: TypeProfile(keep=_w("plus district sector area prefix outward")),
    T.IP_ADDRESS: TypeProfile(keep=_w("address")),
    T.DEVICE_ID: TypeProfile(identifier=True),
    T.GEOLOCATION: TypeProfile(keep=_w("deg degrees decimal dd precise position")),
    T.SALARY: TypeProfile(
        keep=_w(
            "amount amt annual yearly monthly hourly gross net base usd eur gbp total band grade"
        )
    ),
    T.FREE_TEXT: TypeProfile(text_only=True, keep=_w("body internal long")),
    T.GENDER: TypeProfile(keep=_w("identity code")),
    T.ETHNICITY: TypeProfile(keep=_w("group origin background code description category")),
}


def _r(pii_type: PiiType, pattern: str, score: float, **kwargs: object) -> NameRule:
    return NameRule(pii_type=pii_type, pattern=pattern, score=score, **kwargs)  # type: ignore[arg-type]


RULES: tuple[NameRule, ...] = (
    # --- high: national identifiers ---------------------------------------------------------------
    _r(T.SSN, "ssn", 0.95),
    _r(T.SSN, "social security" + _NUMBER, 0.95),
    _r(T.SSN, "social sec" + _NUMBER, 0.9),
    _r(T.SSN, "ss number", 0.75),
    _r(T.NATIONAL_ID, "national (id|identity|identification|insurance)" + _NUMBER, 0.9),
    _r(T.NATIONAL_ID, "social insurance" + _NUMBER, 0.9),
    _r(
        T.NATIONAL_ID, "nino|nric|aadhaar|aadhar|pesel|itin|curp|cpf|bsn|dni|nie|personnummer", 0.85
    ),
    _r(T.NATIONAL_ID, "sin|nin|tin", 0.75),
    _r(T.NATIONAL_ID, "ni number", 0.85),
    _r(T.NATIONAL_ID, "taxpayer( id| identification)?" + _NUMBER, 0.85),
    _r(T.NATIONAL_ID, "tax (id|identification|number)", 0.85),
    _r(T.NATIONAL_ID, "(identity|id) card" + _NUMBER, 0.8),
    _r(T.NATIONAL_ID, "(citizen|voter|resident|identity) (id|number)", 0.8),
    _r(
        T.NATIONAL_ID,
        "(ccw|firearm|firearms|gun|weapon|weapons|carry) (license|permit)" + _NUMBER,
        0.9,
    ),
    _r(
        T.NATIONAL_ID,
        "(license|permit) number",
        0.7,
        not_after=_w("business software product vendor company liquor building plate"),
    ),
    _r(T.DRIVERS_LICENSE, "(driver|drivers|driving) license" + _NUMBER, 0.95),
    _r(T.DRIVERS_LICENSE, "dl number|dln", 0.85),
    _r(T.PASSPORT, "passport" + _NUMBER, 0.9),
    # --- high: financial --------------------------------------------------------------------------
    _r(T.PAYMENT_CARD, "(credit|debit|payment|bank) card" + _NUMBER, 0.9),
    _r(T.PAYMENT_CARD, "card number", 0.9),
    _r(T.PAYMENT_CARD, "ccn|cc number|card pan", 0.85),
    _r(T.PAYMENT_CARD, "cvv|cvc|cvv2|cvc2", 0.9),
    _r(T.PAYMENT_CARD, "card (security|verification) (code|value|number)", 0.9),
    _r(T.BANK_ACCOUNT, "iban", 0.95),
    _r(T.BANK_ACCOUNT, "(bic|swift)( code)?", 0.75),
    _r(T.BANK_ACCOUNT, "bank account" + _NUMBER, 0.95),
    _r(T.BANK_ACCOUNT, "account number", 0.8),
    _r(T.BANK_ACCOUNT, "routing( transit)? number|aba( routing)?" + _NUMBER, 0.85),
    _r(T.BANK_ACCOUNT, "sort code|bsb" + _NUMBER, 0.85),
    # --- high: credentials ------------------------------------------------------------------------
    _r(T.CREDENTIAL, "password|passphrase|pass phrase", 0.95),
    _r(
        T.CREDENTIAL,
        "(user|login|db|database|admin|account|root|ftp|sftp|smtp|ssh|wifi|vpn|service) pass",
        0.85,
    ),
    _r(T.CREDENTIAL, "(client|app|api|shared|aws) secret|secret key", 0.9),
    _r(T.CREDENTIAL, "secret", 0.8),
    _r(T.CREDENTIAL, "api key|(access|private|encryption|signing|master|ssh) key", 0.9),
    _r(
        T.CREDENTIAL,
        "(access|auth|authentication|bearer|refresh|session|api|oauth|csrf|security) token",
        0.9,
    ),
    _r(T.CREDENTIAL, "token", 0.75),
    _r(T.CREDENTIAL, "security (question )?answer|credentials?", 0.85),
    # --- high: health, criminal record, biometrics ------------------------------------------------
    _r(T.HEALTH, r"diagnos\w*", 0.9),
    _r(T.HEALTH, "icd", 0.85),
    _r(T.HEALTH, "medical records?" + _NUMBER + "|mrn", 0.9),
    _r(T.HEALTH, "npi|mbi", 0.8),
    _r(T.HEALTH, "(nhs|chi|health insurance|health card)" + _NUMBER, 0.85),
    _r(T.HEALTH, "prescriptions?|medications?", 0.85),
    _r(T.HEALTH, "patient (id|number)", 0.85),
    _r(T.HEALTH, "allergy|allergies|disability|disabilities|hiv|illness|disease|symptoms?", 0.85),
    _r(T.HEALTH, "blood (type|group|pressure|glucose)", 0.85),
    _r(
        T.HEALTH, "mental health|medical (condition|history)|health (condition|record|history)", 0.9
    ),
    _r(T.HEALTH, "(medicare|medicaid)( id| beneficiary)?" + _NUMBER, 0.85),
    _r(T.HEALTH, r"vaccination|vaccine|immunization|pregnan\w*", 0.8),
    _r(T.CRIMINAL_RECORD, "criminal( history| record| records| background)?", 0.9),
    _r(T.CRIMINAL_RECORD, "arrests?|arrested", 0.85),
    _r(T.CRIMINAL_RECORD, "convictions?|convicted|offender|offenders", 0.9),
    _r(T.CRIMINAL_RECORD, "offenses?", 0.8),
    _r(T.CRIMINAL_RECORD, "sex offenders?", 0.95),
    _r(T.CRIMINAL_RECORD, "felony|felonies|misdemeanors?|misdemeanour", 0.85),
    _r(T.CRIMINAL_RECORD, "cii" + _NUMBER + "|rap sheet|fbi number", 0.9),
    _r(T.CRIMINAL_RECORD, r"inmate|prisoner|detainee|incarcerat\w*|parole|probation", 0.8),
    _r(T.CRIMINAL_RECORD, "warrants?", 0.7),
    _r(T.CRIMINAL_RECORD, "charges?", 0.8, needs_context=CRIMINAL_CONTEXT),
    _r(T.CRIMINAL_RECORD, "booking", 0.8, needs_context=CRIMINAL_CONTEXT),
    _r(T.CRIMINAL_RECORD, "sentence|sentencing", 0.8, needs_context=CRIMINAL_CONTEXT),
    _r(T.BIOMETRIC, "biometrics?", 0.9),
    _r(T.BIOMETRIC, "fingerprints?", 0.75, not_after=NON_BIOMETRIC_PRINT),
    _r(T.BIOMETRIC, "(face|facial) (template|encoding|embedding|geometry|scan|recognition)", 0.8),
    _r(T.BIOMETRIC, "(iris|retina|retinal) scan|voice ?print|palm ?print", 0.85),
    # --- moderate: contact details and identity ---------------------------------------------------
    _r(T.EMAIL, "emails?", 0.9),
    _r(T.PHONE, "(phone|telephone)" + _NUMBER + "|phones|msisdn", 0.9),
    _r(T.PHONE, "(mobile|cell) (phone|number)", 0.9),
    _r(T.PHONE, "mobile", 0.75),
    _r(T.PHONE, "cell", 0.65),
    _r(T.PHONE, "fax" + _NUMBER, 0.85),
    _r(T.PHONE, "contact number", 0.8),
    _r(
        T.PERSON_NAME,
        "(first|last|middle|given|family|maiden|full|legal|preferred|birth) names?",
        0.9,
    ),
    _r(T.PERSON_NAME, "surname|forename", 0.9),
    _r(T.PERSON_NAME, "nickname|nick name", 0.85),
    _r(T.PERSON_NAME, f"({_PERSON}) name", 0.85),
    _r(T.PERSON_NAME, "name", 0.7, needs_context=PERSON_CONTEXT, leading_only=frozenset()),
    _r(T.DATE_OF_BIRTH, "date of birth|birth (date|day)|birthday", 0.85),
    _r(T.STREET_ADDRESS, "address|addresses", 0.8, not_after=NON_POSTAL_ADDRESS),
    _r(T.STREET_ADDRESS, "street", 0.75),
    _r(T.STREET_ADDRESS, "po box", 0.85),
    _r(T.IP_ADDRESS, "ip address|ipv (4|6)( address)?", 0.9),
    _r(T.IP_ADDRESS, "ip", 0.75),
    _r(T.IP_ADDRESS, "(remote|client|visitor) address", 0.75),
    _r(T.DEVICE_ID, "device (id|identifier|uuid|udid)|mac address", 0.85),
    _r(T.DEVICE_ID, "imei|idfa|idfv|gaid|udid|meid", 0.85),
    _r(T.DEVICE_ID, "(device|browser|canvas) fingerprint", 0.85),
    _r(T.DEVICE_ID, "advertising (id|identifier)|(android|hardware) id", 0.85),
    _r(T.GEOLOCATION, "latitude|longitude|lat|lng|lon", 0.65),
    _r(T.GEOLOCATION, "long", 0.6, datatypes=_w("number")),
    _r(T.GEOLOCATION, "(gps|geo)( location| coordinates| position| point)?|geolocation", 0.7),
    _r(T.GEOLOCATION, "coordinates|geohash|lat long|lat lng", 0.65),
    _r(T.SALARY, "salary|salaries|remuneration", 0.9),
    _r(T.SALARY, "wages?|compensation", 0.85),
    _r(T.SALARY, "(pay|hourly) rate|(gross|net|base|annual|monthly|hourly) pay", 0.75),
    _r(T.SALARY, "income|bonus|earnings|payroll", 0.7),
    _r(T.FREE_TEXT, "notes?|comments?|remarks?|narrative|free text|freetext", 0.75),
    _r(T.FREE_TEXT, "memo|feedback", 0.7),
    _r(T.FREE_TEXT, "(review|response|survey|complaint|message|chat|answer) (text|body)", 0.7),
    _r(T.FREE_TEXT, "description|desc", 0.65, tier=Tier.LOW, leading_only=FREE_TEXT_LEAD),
    _r(T.ETHNICITY, "ethnicity|ethnic", 0.9),
    _r(T.ETHNICITY, "race", 0.75),
    # --- low: quasi-identifiers -------------------------------------------------------------------
    _r(T.POSTAL_CODE, "zip( code)?|postcode|(postal|post) code", 0.85),
    _r(T.POSTAL_CODE, "postal", 0.65),
    _r(T.GENDER, "gender", 0.9),
    _r(T.GENDER, "sex", 0.8),
    _r(T.AGE, "age", 0.8),
    _r(T.AGE, "(birth|born) year|year of birth|yob", 0.8),
)
"""Every built-in rule. Order does not matter: the best-scoring match wins."""

ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "fname": ("first", "name"),
    "lname": ("last", "name"),
    "mname": ("middle", "name"),
    "nm": ("name",),
    "dob": ("date", "of", "birth"),
    "bdate": ("birth", "date"),
    "bday": ("birthday",),
    "tel": ("telephone",),
    "mob": ("mobile",),
    "addr": ("address",),
    "adr": ("address",),
    "acct": ("account",),
    "pwd": ("password",),
    "passwd": ("password",),
    "pswd": ("password",),
    "pw": ("password",),
    "cust": ("customer",),
    "emp": ("employee",),
    "drv": ("driver",),
    "lic": ("license",),
    "licence": ("license",),
    "licences": ("license",),
    "licenses": ("license",),
    "offence": ("offense",),
    "offences": ("offenses",),
    "cd": ("code",),
    "dx": ("diagnosis",),
    "dt": ("date",),
    "soc": ("social",),
    "ethnic": ("ethnicity",),
}
"""Single-token abbreviations and spelling variants (pii-detection.md §1, piicatcher #88)."""

NUMBER_WORDS = _w("no num nbr nr nmbr number")
"""Spellings of *number*; normalised to ``number`` except as the first token (``no_email``)."""
