"""Column classification and secret detection: pure functions of names, text and in-memory samples.

Nothing here reads files, XML, extracts or the network (house style, principle 3).
"""

from __future__ import annotations

from tableau_audit.classify.columns import classify_column, combine
from tableau_audit.classify.names import NameMatch, classify_name, datatype_kind, tokenize
from tableau_audit.classify.policy import DEFAULT_TIERS, ExtraPattern, Policy
from tableau_audit.classify.secrets import SecretMatch, mask_secret, scan_attribute, scan_text
from tableau_audit.classify.types import (
    CLASSIFIER_VERSION,
    ColumnClassification,
    PiiType,
    Tier,
)

__all__ = [
    "CLASSIFIER_VERSION",
    "DEFAULT_TIERS",
    "ColumnClassification",
    "ExtraPattern",
    "NameMatch",
    "PiiType",
    "Policy",
    "SecretMatch",
    "Tier",
    "classify_column",
    "classify_name",
    "combine",
    "datatype_kind",
    "mask_secret",
    "scan_attribute",
    "scan_text",
    "tokenize",
]
