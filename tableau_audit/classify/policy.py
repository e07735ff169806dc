"""Classification policy: what counts as confidential, with the user's overrides (pii-detection.md).

The defaults follow pii-detection.md §4 (tiers per type) and §1 (a 0.6 confidence threshold). The
user's configuration (``[classification]`` in ``tableau-audit.toml``, see
:mod:`tableau_audit.config`) can add name patterns, allow-list columns and data sources, and
override the tier of a type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import field
from fnmatch import fnmatchcase

from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.records import frozen

DEFAULT_TIERS: Mapping[PiiType, Tier] = {
    PiiType.SSN: Tier.HIGH,
    PiiType.NATIONAL_ID: Tier.HIGH,
    PiiType.DRIVERS_LICENSE: Tier.HIGH,
    PiiType.PASSPORT: Tier.HIGH,
    PiiType.PAYMENT_CARD: Tier.HIGH,
    PiiType.BANK_ACCOUNT: Tier.HIGH,
    PiiType.CREDENTIAL: Tier.HIGH,
    PiiType.HEALTH: Tier.HIGH,
    PiiType.CRIMINAL_RECORD: Tier.HIGH,
    PiiType.BIOMETRIC: Tier.HIGH,
    PiiType.EMAIL: Tier.MODERATE,
    PiiType.PHONE: Tier.MODERATE,
    PiiType.PERSON_NAME: Tier.MODERATE,
    PiiType.DATE_OF_BIRTH: Tier.MODERATE,
    PiiType.STREET_ADDRESS: Tier.MODERATE,
    PiiType.IP_ADDRESS: Tier.MODERATE,
    PiiType.DEVICE_ID: Tier.MODERATE,
    PiiType.GEOLOCATION: Tier.MODERATE,
    PiiType.SALARY: Tier.MODERATE,
    PiiType.FREE_TEXT: Tier.MODERATE,
    # NOTE: ethnicity is a GDPR special category, so it sits above the other quasi-identifiers.
    PiiType.ETHNICITY: Tier.MODERATE,
    PiiType.POSTAL_CODE: Tier.LOW,
    PiiType.GENDER: Tier.LOW,
    PiiType.AGE: Tier.LOW,
}
"""Sensitivity tier of each type (pii-detection.md §4) before the user's overrides."""


@frozen
class ExtraPattern:
    """A user-supplied name pattern (regex over the tokenised, lower-cased name).

    The words of a name are lower-cased and joined by single spaces, so ``EmpSSN_No`` is matched
    both as written (``emp ssn no``) and with abbreviations expanded (``employee ssn number``, see
    :func:`tableau_audit.classify.names.tokenize`). The pattern is searched, not anchored: write
    ``^…$`` to match a whole name.
    """

    pii_type: PiiType
    pattern: str
    tier: Tier | None = None

    def __post_init__(self) -> None:
        # Fail at construction, not in the middle of a run; the config loader reports it first.
        re.compile(self.pattern)


@frozen
class Policy:
    """The classification policy. Defaults follow pii-detection.md; config can override."""

    extra_patterns: tuple[ExtraPattern, ...] = ()
    allow_columns: tuple[str, ...] = ()
    """Glob patterns over ``<datasource caption>.<column caption>`` or a bare column name."""
    allow_datasources: tuple[str, ...] = ()
    """Glob patterns over data-source captions."""
    tier_overrides: Mapping[PiiType, Tier] = field(default_factory=dict)
    confidential_min_tier: Tier = Tier.MODERATE
    min_confidence: float = 0.6
    sample_size: int = 1000

    def tier_for(self, pii_type: PiiType, default: Tier | None = None) -> Tier:
        """Tier of ``pii_type``: the user's override, else ``default``, else the built-in tier."""
        override = self.tier_overrides.get(pii_type)
        if override is not None:
            return override
        return default if default is not None else DEFAULT_TIERS[pii_type]

    def allows_datasource(self, datasource: str) -> bool:
        """True when the data source is allow-listed: none of its columns is classified."""
        return _any_glob(self.allow_datasources, (datasource,))

    def allows_column(self, datasource: str, names: Iterable[str]) -> bool:
        """True when a column is allow-listed, by bare name or as ``<datasource>.<name>``.

        ``names`` are the column's local name, remote name and caption; any of them may match.
        Matching is case-insensitive, with :mod:`fnmatch` globs (``*``, ``?``, ``[abc]``).
        """
        if not self.allow_columns:  # NOTE: the common case: no candidate list to build
            return False
        candidates = [n for n in names if n]
        qualified = [f"{datasource}.{n}" for n in candidates]
        return _any_glob(self.allow_columns, (*candidates, *qualified))


def _any_glob(patterns: Iterable[str], texts: Iterable[str]) -> bool:
    lowered = [t.lower() for t in texts]
    return any(fnmatchcase(text, pattern.lower()) for pattern in patterns for text in lowered)
