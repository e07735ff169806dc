"""Classification vocabulary: data types, sensitivity tiers and the per-column verdict."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import field

from tableau_audit.records import frozen

CLASSIFIER_VERSION = "1"


class Tier(enum.IntEnum):
    """Sensitivity tier (pii-detection.md §4). Ordered so tiers compare."""

    LOW = 1
    MODERATE = 2
    HIGH = 3

    @property
    def label(self) -> str:
        """Lower-case name used in reports and configuration."""
        return self.name.lower()


class PiiType(str, enum.Enum):
    """What kind of confidential data a column holds."""

    SSN = "ssn"
    NATIONAL_ID = "national_id"
    DRIVERS_LICENSE = "drivers_license"
    PASSPORT = "passport"
    PAYMENT_CARD = "payment_card"
    BANK_ACCOUNT = "bank_account"
    CREDENTIAL = "credential"
    HEALTH = "health"
    CRIMINAL_RECORD = "criminal_record"
    BIOMETRIC = "biometric"
    EMAIL = "email"
    PHONE = "phone"
    PERSON_NAME = "person_name"
    DATE_OF_BIRTH = "date_of_birth"
    STREET_ADDRESS = "street_address"
    IP_ADDRESS = "ip_address"
    DEVICE_ID = "device_id"
    GEOLOCATION = "geolocation"
    SALARY = "salary"
    FREE_TEXT = "free_text"
    POSTAL_CODE = "postal_code"
    GENDER = "gender"
    ETHNICITY = "ethnicity"
    AGE = "age"


@frozen
class ColumnClassification:
    """Why a column is considered confidential. Holds counts and masked exemplars, never values."""

    pii_type: PiiType
    tier: Tier
    confidence: float
    """0..1; combined name and value evidence."""
    name_only: bool = True
    """True when no values were sampled (live connection, .tde, bare .twb)."""
    signals: Mapping[str, object] = field(default_factory=dict)
    """Evidence behind the verdict: name tokens matched, values sampled and matched, ..."""
    sample_size: int = 0
    match_count: int = 0
    exemplars: tuple[str, ...] = ()
    """Masked exemplars such as ``***-**-1234``; never raw values."""
    classifier_version: str = CLASSIFIER_VERSION

    @property
    def match_ratio(self) -> float:
        """Share of sampled values that matched the type's validator."""
        return self.match_count / self.sample_size if self.sample_size else 0.0
