"""Column classification and secret detection: pure functions of names, text and in-memory samples.

Nothing here reads files, XML, extracts or the network (house style, principle 3).

Only the light vocabulary (types and policy) is re-exported. Import the classifiers from their
modules (:mod:`~tableau_audit.classify.columns`, :mod:`~tableau_audit.classify.names`,
:mod:`~tableau_audit.classify.secrets`): importing ``classify.types`` runs this file first, and
every report and finding needs the types, so loading the classifiers and their
``phonenumbers`` data here would slow down every start (issue 2's cold-start benchmark).
"""

from __future__ import annotations

from tableau_audit.classify.policy import DEFAULT_TIERS, ExtraPattern, Policy
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
    "PiiType",
    "Policy",
    "Tier",
]
