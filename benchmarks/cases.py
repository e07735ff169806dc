"""The cases of the labelled column set: names, datatype, value maker and expected type.

Each :class:`Case` yields one column per name; ``make(rng, index)`` draws one value, and
``index`` (the column's position in ``names``) picks a format variant, so columns of the same
case differ in format as well as in name.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks import labelled_values as lv
from tableau_audit.classify.types import PiiType

Maker = Callable[[random.Random, int], str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """A group of labelled columns sharing a value maker and an expected type."""

    group: str
    names: tuple[str, ...]
    datatype: str
    make: Maker
    expected: PiiType | None
    noisy: bool = True
    """Add NULLs and junk values (``N/A``, ``unknown``) like a real extract."""
    junk: float = 0.02
    """Share of junk values when ``noisy`` (a badly kept column has many)."""


def _pick(*styles: str) -> Callable[[int], str]:
    return lambda i: styles[i % len(styles)]


def _ssn(*styles: str) -> Maker:
    pick = _pick(*styles)
    return lambda rng, i: lv.ssn(rng, pick(i))


def _phone(*styles: str) -> Maker:
    pick = _pick(*styles)
    return lambda rng, i: lv.intl_phone(rng) if pick(i) == "intl" else lv.us_phone(rng, pick(i))


def _card(*styles: str) -> Maker:
    pick = _pick(*styles)
    return lambda rng, i: lv.card(rng, pick(i))


def _dob(*styles: str) -> Maker:
    pick = _pick(*styles)
    return lambda rng, i: lv.birth_date(rng, pick(i))


def _date(start: dt.date, end: dt.date, *styles: str) -> Maker:
    pick = _pick(*styles)
    return lambda rng, i: lv.fmt_date(lv.date_between(rng, start, end), pick(i))


def _digits(low: int, high: int) -> Maker:
    return lambda rng, _i: lv.digits(rng, rng.randint(low, high)).lstrip("0") or "1"


def _fixed_digits(n: int) -> Maker:
    return lambda rng, _i: str(rng.randint(10 ** (n - 1), 10**n - 1))


def _luhn_order_id(rng: random.Random, _i: int) -> str:
    # NOTE: the adversarial case: order ids that happen to be valid Visa numbers.
    payload = "4" + lv.digits(rng, 14)
    return payload + lv.luhn_digit(payload)


def _code(fmt: str) -> Maker:
    """Product-code style values: ``A`` = letter, ``9`` = digit, anything else literal."""

    def make(rng: random.Random, _i: int) -> str:
        return "".join(
            rng.choice(string.ascii_uppercase)
            if ch == "A"
            else rng.choice(string.digits)
            if ch == "9"
            else ch
            for ch in fmt
        )

    return make


def _choice(*options: str) -> Maker:
    return lambda rng, _i: rng.choice(options)


def _tracking(rng: random.Random, i: int) -> str:
    kind = i % 3
    if kind == 0:  # UPS
        return "1Z" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16))
    if kind == 1:  # FedEx Express
        return lv.digits(rng, 12)
    return "9400" + lv.digits(rng, 18)  # USPS


def _money(rng: random.Random, _i: int) -> str:
    return f"{rng.uniform(1, 250000):.2f}"


def _version(rng: random.Random, _i: int) -> str:
    return f"{rng.randint(1, 20)}.{rng.randint(0, 12)}.{rng.randint(0, 40)}.{rng.randint(0, 9999)}"


def _icd10(rng: random.Random, _i: int) -> str:
    return rng.choice("EIJKMNRZ") + lv.digits(rng, 2) + "." + lv.digits(rng, 1)


def _uuid(rng: random.Random, _i: int) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _product_name(rng: random.Random, _i: int) -> str:
    adjectives = ("Ultra", "Classic", "Smart", "Eco", "Deluxe", "Compact", "Pro")
    nouns = ("Widget", "Blender", "Notebook", "Chair", "Lamp", "Speaker", "Kettle", "Drill")
    return f"{rng.choice(adjectives)} {rng.choice(nouns)} {rng.randint(100, 9000)}"


def _description(rng: random.Random, _i: int) -> str:
    return lv.sentence(rng, rng.randint(8, 16))


_NEUTRAL_DATES = (dt.date(1950, 1, 1), dt.date(2025, 12, 31))
_RECENT_DATES = (dt.date(2015, 1, 1), dt.date(2025, 12, 31))

POSITIVES: tuple[Case, ...] = (
    # --- high tier ---------------------------------------------------------------------------
    Case(group="ssn/delimited", names=("ssn", "social_security_number", "SSN", "employee_ssn",
         "ssn_number", "SocialSecurityNumber", "borrower_ssn", "SOC_SEC_NUM"), datatype="string",
         make=_ssn("-", "-", " "), expected=PiiType.SSN),
    Case(group="ssn/bare+name", names=("ssn", "applicant_ssn", "patient_ssn", "SSN_NBR"),
         datatype="integer", make=_ssn(""), expected=PiiType.SSN),
    Case(group="ssn/integer-lost-zeros", names=("ssn", "member_ssn"), datatype="integer",
         make=lambda rng, _i: str(int(lv.ssn(rng, ""))), expected=PiiType.SSN),
    Case(group="ssn/neutral-name", names=("col_7", "field1", "value", "attr_3", "data_12"),
         datatype="string", make=_ssn("-", " "), expected=PiiType.SSN),
    Case(group="national_id/sin", names=("sin", "sin_number", "employee_sin", "national_id"),
         datatype="string", make=lambda rng, i: lv.ca_sin(rng, ("", " ", "-", " ")[i % 4]),
         expected=PiiType.NATIONAL_ID),
    Case(group="national_id/nino", names=("nino", "NationalInsuranceNumber", "employee_nino",
         "ni_number"), datatype="string", make=lambda rng, i: lv.uk_nino(rng, i % 2 == 1),
         expected=PiiType.NATIONAL_ID),
    Case(group="national_id/itin", names=("itin", "tax_id", "taxpayer_id_number"),
         datatype="string", make=lambda rng, _i: lv.itin(rng), expected=PiiType.NATIONAL_ID),
    Case(group="national_id/neutral-name", names=("field_12", "col_3", "ref_code_2", "x_value"),
         datatype="string", make=lambda rng, i: lv.uk_nino(rng) if i % 2 else lv.ca_sin(rng, "-"),
         expected=PiiType.NATIONAL_ID),
    Case(group="payment_card/name", names=("credit_card_number", "card_number", "cc_num", "pan",
         "CardNumber", "debit_card_number", "credit_card", "card_no", "ccn"), datatype="string",
         make=_card("plain", "plain", "space", "dash"), expected=PiiType.PAYMENT_CARD),
    Case(group="payment_card/neutral-name", names=("col_9", "field2", "ref_value", "attr_8",
         "reference"), datatype="string", make=_card("plain", "space"),
         expected=PiiType.PAYMENT_CARD),
    Case(group="bank/iban", names=("iban", "IBAN", "bank_iban", "iban_number", "payee_iban"),
         datatype="string", make=lambda rng, i: lv.iban(rng, i % 2 == 1),
         expected=PiiType.BANK_ACCOUNT),
    Case(group="bank/routing", names=("routing_number", "aba", "aba_routing_number",
         "bank_routing_no"), datatype="string", make=lambda rng, _i: lv.aba(rng),
         expected=PiiType.BANK_ACCOUNT),
    Case(group="bank/account-number", names=("bank_account_number", "account_number", "acct_no"),
         datatype="string", make=_digits(8, 12), expected=PiiType.BANK_ACCOUNT),
    Case(group="bank/neutral-name", names=("col_5", "field_7", "misc", "payload"),
         datatype="string", make=lambda rng, i: lv.iban(rng, i % 2 == 0),
         expected=PiiType.BANK_ACCOUNT),
    Case(group="health/npi", names=("npi", "provider_npi", "NPI", "npi_number"),
         datatype="string", make=lambda rng, _i: lv.npi(rng), expected=PiiType.HEALTH),
    Case(group="health/diagnosis", names=("diagnosis", "diagnosis_code", "primary_diagnosis"),
         datatype="string", make=_icd10, expected=PiiType.HEALTH),
    # --- moderate tier -----------------------------------------------------------------------
    Case(group="email/name", names=("email", "e_mail", "EmailAddress", "customer_email",
         "contact_email", "work_email", "Email", "email_address", "recipient_email"),
         datatype="string", make=lambda rng, _i: lv.email(rng), expected=PiiType.EMAIL),
    Case(group="email/dirty", names=("email", "customer_email", "contact_email_address"),
         datatype="string", make=lambda rng, _i: lv.email(rng), expected=PiiType.EMAIL,
         junk=0.25),
    Case(group="email/other-name", names=("user_id", "login", "username", "owner"),
         datatype="string", make=lambda rng, _i: lv.email(rng), expected=PiiType.EMAIL),
    Case(group="email/neutral-name", names=("col_1", "field3", "value_2", "attr_1", "f12"),
         datatype="string", make=lambda rng, _i: lv.email(rng), expected=PiiType.EMAIL),
    Case(group="phone/name", names=("phone", "phone_number", "mobile", "tel", "cell_phone",
         "fax", "home_phone", "PhoneNumber", "contact_phone", "work_tel", "mobile_phone"),
         datatype="string", make=_phone("paren", "dash", "dot", "e164", "intl", "intl"),
         expected=PiiType.PHONE),
    Case(group="phone/extension", names=("work_phone", "office_phone", "business_tel"),
         datatype="string", make=lambda rng, _i: f"{lv.us_phone(rng)} x{rng.randint(10, 9999)}",
         expected=PiiType.PHONE),
    Case(group="phone/dirty", names=("phone", "mobile_no"), datatype="string",
         make=_phone("dash", "paren"), expected=PiiType.PHONE, junk=0.3),
    Case(group="phone/bare+name", names=("phone", "mobile_number", "telephone"),
         datatype="integer", make=_phone("plain"), expected=PiiType.PHONE),
    Case(group="phone/neutral-name", names=("col_11", "field4", "attr_5", "contact"),
         datatype="string", make=_phone("paren", "intl", "dash", "e164"),
         expected=PiiType.PHONE),
    Case(group="person_name/full", names=("customer_name", "full_name", "employee_name",
         "contact_name", "patient_name", "client_name", "FullName", "person_name"),
         datatype="string", make=lambda rng, i: lv.person(rng, ("full", "full", "middle",
         "sorted")[i % 4]), expected=PiiType.PERSON_NAME),
    Case(group="person_name/uppercase", names=("CUSTOMER_NAME", "EMP_FULL_NAME",
         "INSURED_NAME"), datatype="string",
         make=lambda rng, i: lv.person(rng, ("full", "sorted", "full")[i]).upper(),
         expected=PiiType.PERSON_NAME),
    Case(group="person_name/first", names=("first_name", "fname", "FirstName", "given_name"),
         datatype="string", make=lambda rng, _i: lv.person(rng, "first"),
         expected=PiiType.PERSON_NAME),
    Case(group="person_name/last", names=("last_name", "surname", "lname", "LastName"),
         datatype="string", make=lambda rng, _i: lv.person(rng, "last"),
         expected=PiiType.PERSON_NAME),
    Case(group="dob/name", names=("dob", "date_of_birth", "birth_date", "BirthDate", "birthday",
         "customer_dob", "patient_dob"), datatype="date", make=_dob("iso"),
         expected=PiiType.DATE_OF_BIRTH),
    Case(group="dob/datetime+string", names=("date_of_birth", "dob", "birth_date", "DOB"),
         datatype="string", make=_dob("datetime", "us", "eu", "iso"),
         expected=PiiType.DATE_OF_BIRTH),
    Case(group="dob/compact-integer", names=("dob", "birth_dt", "date_of_birth"),
         datatype="integer", make=lambda rng, _i: lv.birth_date(rng).replace("-", ""),
         expected=PiiType.DATE_OF_BIRTH),
    Case(group="ip/name", names=("ip_address", "client_ip", "ip", "source_ip", "ipv6_address",
         "user_ip_addr", "ipv4"), datatype="string",
         make=lambda rng, i: lv.ipv6(rng) if i % 3 == 1 else lv.ipv4(rng),
         expected=PiiType.IP_ADDRESS),
    Case(group="ip/neutral-name", names=("col_13", "field5", "host", "origin"), datatype="string",
         make=lambda rng, i: lv.ipv6(rng) if i % 2 else lv.ipv4(rng),
         expected=PiiType.IP_ADDRESS),
    Case(group="device/mac", names=("mac_address", "device_mac", "mac_addr", "wifi_mac_address"),
         datatype="string", make=lambda rng, i: lv.mac(rng, (":", "-", ".", ":")[i % 4]),
         expected=PiiType.DEVICE_ID),
    Case(group="device/vin", names=("vin", "vehicle_vin", "vehicle_identification_number"),
         datatype="string", make=lambda rng, _i: lv.vin(rng), expected=PiiType.DEVICE_ID),
    Case(group="device/name-only", names=("device_id", "imei"), datatype="string",
         make=_uuid, expected=PiiType.DEVICE_ID),
    Case(group="device/neutral-name", names=("col_14", "field6", "attr_9"), datatype="string",
         make=lambda rng, i: lv.vin(rng) if i == 2 else lv.mac(rng, ":"),
         expected=PiiType.DEVICE_ID),
    Case(group="free_text/name", names=("notes", "comments", "remarks", "agent_notes",
         "ticket_comments", "free_text"), datatype="string",
         make=lambda rng, _i: lv.note(rng, 0.18), expected=PiiType.FREE_TEXT),
    Case(group="free_text/neutral-name", names=("col_16", "field8", "body", "message"),
         datatype="string", make=lambda rng, _i: lv.note(rng, 0.2), expected=PiiType.FREE_TEXT),
    Case(group="address/name-only", names=("street_address", "address_line_1", "home_address",
         "billing_address"), datatype="string", make=lambda rng, _i: lv.address(rng),
         expected=PiiType.STREET_ADDRESS),
    Case(group="salary/name-only", names=("salary", "annual_salary", "base_salary"),
         datatype="real", make=_money, expected=PiiType.SALARY),
    # --- low tier ----------------------------------------------------------------------------
    Case(group="postal/name-only", names=("zip_code", "postal_code", "zip"), datatype="string",
         make=_fixed_digits(5), expected=PiiType.POSTAL_CODE),
    Case(group="gender/name-only", names=("gender", "sex"), datatype="string",
         make=_choice("F", "M", "X"), expected=PiiType.GENDER),
)  # fmt: skip

NEGATIVES: tuple[Case, ...] = (
    Case(group="neg/id-9-digit", names=("customer_id", "member_id", "employee_id", "record_id",
         "claim_id", "col_4", "field_9", "account_id", "policy_id", "gl_account_code"),
         datatype="integer", make=_fixed_digits(9), expected=None),
    Case(group="neg/id-10-digit", names=("user_id", "session_id", "transaction_id", "order_ref",
         "col_6", "field_10", "batch_id", "shipment_id", "meter_number", "parcel_id"),
         datatype="integer", make=_fixed_digits(10), expected=None),
    Case(group="neg/bare-ssn-neutral", names=("col_17", "field_11", "number"),
         datatype="string", make=_ssn(""), expected=None),
    Case(group="neg/bare-phone-neutral", names=("col_24", "field_14"), datatype="integer",
         make=_phone("plain"), expected=None),
    Case(group="neg/bare-checksummed-neutral", names=("col_15", "col_25", "field_15"),
         datatype="string", make=lambda rng, i: (lv.aba, lv.npi, lambda r: lv.ca_sin(r, ""))[i](
         rng), expected=None),
    Case(group="neg/boolean", names=("is_active", "email_verified", "has_phone", "ssn_provided",
         "card_on_file", "is_deleted", "email_opt_in", "dob_verified"), datatype="boolean",
         make=_choice("true", "false"), expected=None, noisy=False),
    Case(group="neg/boolean-int", names=("phone_verified", "flag_1", "col_26"),
         datatype="integer", make=_choice("0", "1"), expected=None, noisy=False),
    Case(group="neg/year", names=("fiscal_year", "academic_year_code", "year", "model_year",
         "graduation_year", "col_18"), datatype="integer",
         make=lambda rng, _i: str(rng.randint(1990, 2026)), expected=None),
    Case(group="neg/zip-neutral", names=("col_19", "region_code", "col_20"), datatype="string",
         make=lambda rng, i: f"{rng.randint(10000, 99999)}" + (
             f"-{rng.randint(1000, 9999)}" if i == 2 else ""), expected=None),
    Case(group="neg/product-code", names=("product_code", "sku", "item_code", "part_number",
         "product_id"), datatype="string",
         make=lambda rng, i: _code(("AA-9999-A", "SKU-999999", "AAA999", "999-99-AA", "P9999")[i])(
         rng, i), expected=None),
    Case(group="neg/ssn-shaped-code", names=("part_number", "catalog_no", "model_code",
         "lot_number"), datatype="string", make=_code("999-99-9999"), expected=None),
    Case(group="neg/order-number", names=("order_number", "order_no", "order_id", "po_number"),
         datatype="string", make=lambda rng, i: _code("ORD-2024-999999")(rng, i) if i % 2 else
         _digits(8, 10)(rng, i), expected=None),
    Case(group="neg/order-id-luhn", names=("order_id", "order_number"), datatype="string",
         make=_luhn_order_id, expected=None),
    Case(group="neg/order-id-16-digit", names=("order_id", "transaction_ref", "booking_number"),
         datatype="string", make=_fixed_digits(16), expected=None),
    Case(group="neg/invoice-number", names=("invoice_number", "invoice_no", "invoice_id"),
         datatype="string", make=lambda rng, i: _code("INV-999999")(rng, i) if i != 1 else
         _fixed_digits(9)(rng, i), expected=None),
    Case(group="neg/tracking-number", names=("tracking_number", "tracking_no",
         "shipment_tracking"), datatype="string", make=_tracking, expected=None),
    Case(group="neg/date-not-dob", names=("order_date", "ship_date", "created_at", "hire_date",
         "due_date", "mail_date", "col_21", "email_sent_date"), datatype="date",
         make=_date(*_NEUTRAL_DATES, "iso"), expected=None),
    Case(group="neg/datetime-not-dob", names=("updated_at", "last_login", "event_time"),
         datatype="datetime", make=_date(*_RECENT_DATES, "datetime"), expected=None),
    Case(group="neg/company-name", names=("customer_name", "client_name", "company_name",
         "vendor_name", "Supplier Name"), datatype="string",
         make=lambda rng, _i: lv.company(rng), expected=None),
    Case(group="neg/product-name", names=("product_name", "item_name", "Product Name"),
         datatype="string", make=_product_name, expected=None),
    Case(group="neg/person-name-neutral", names=("col_23", "field_16"), datatype="string",
         make=lambda rng, _i: lv.person(rng), expected=None),
    Case(group="neg/category", names=("segment", "category", "status", "region", "ship_mode",
         "card_type", "phone_type", "email_type"), datatype="string",
         make=_choice("Consumer", "Corporate", "Home Office", "Small Business", "Standard Class",
                      "First Class", "Visa", "Mastercard", "Active", "Closed"), expected=None),
    Case(group="neg/measure", names=("sales", "profit", "quantity", "discount", "unit_price",
         "account_balance", "passenger_count", "pass_rate", "email_count", "phone_count"),
         datatype="real", make=_money, expected=None),
    Case(group="neg/guid-hash", names=("row_guid", "checksum", "request_id"), datatype="string",
         make=_uuid, expected=None),
    Case(group="neg/version", names=("app_version", "build_version", "mobile_app_version"),
         datatype="string", make=_version, expected=None),
    Case(group="neg/name-without-pii-values", names=("phone_ext", "ip_country", "email_domain",
         "mac_os_version"), datatype="string",
         make=lambda rng, i: (lambda r: str(r.randint(100, 9999)), lambda r: r.choice(("US", "DE",
         "FR", "GB")), lambda r: r.choice(lv.EMAIL_DOMAINS), lambda r: f"14.{r.randint(0, 7)}."
         f"{r.randint(0, 3)}")[i](rng), expected=None),
    Case(group="neg/description", names=("product_description", "summary", "col_22"),
         datatype="string", make=_description, expected=None),
    Case(group="neg/company-name-upper", names=("CUSTOMER_NAME", "ACCOUNT_NAME"),
         datatype="string", make=lambda rng, _i: lv.company(rng).upper(), expected=None),
    Case(group="neg/barcode", names=("ean_code", "upc", "isbn"), datatype="string",
         make=lambda rng, i: ("40", "0", "978")[i] + lv.digits(rng, (11, 11, 10)[i]),
         expected=None),
)  # fmt: skip

CASES: tuple[Case, ...] = POSITIVES + NEGATIVES
