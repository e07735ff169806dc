"""Classification policy: what counts as confidential, with the user's overrides (pii-detection.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tableau_audit.classify.types import PiiType, Tier


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtraPattern:
    """A user-supplied name pattern (regex over the tokenised, lower-cased name)."""

    pii_type: PiiType
    pattern: str
    tier: Tier | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
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
