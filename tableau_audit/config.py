"""Run configuration: a frozen :class:`AuditConfig` built from options and an optional TOML file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tableau_audit.classify.policy import Policy
from tableau_audit.findings import Severity


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditConfig:
    """Everything a run needs to know; built by the CLI, read by the engine."""

    fail_on: Severity = Severity.HIGH
    policy: Policy = field(default_factory=Policy)
    disabled_rules: frozenset[str] = frozenset()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    skipped_severity: Severity = Severity.HIGH
    """Severity of the TA901 finding that stands for an input that could not be audited."""
