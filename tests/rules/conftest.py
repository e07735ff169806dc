"""Helpers for rule tests: audit a fixture and return exactly what one rule flagged."""

from __future__ import annotations

from pathlib import Path

from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.findings import AuditResult, Finding

RULE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def run(path: Path, config: AuditConfig | None = None) -> AuditResult:
    """Audit one file with the default configuration."""
    return audit([path], config or AuditConfig())


def findings_of(result: AuditResult, rule_id: str) -> list[Finding]:
    """Every finding of one rule, across items and skipped inputs."""
    return [f for f in result.findings if f.rule_id == rule_id]


def flagged_paths(result: AuditResult, rule_id: str) -> set[tuple[str, ...]]:
    """Object paths of one rule's findings: the exact set a test asserts."""
    return {f.location.object_path for f in findings_of(result, rule_id)}


def fixture(name: str) -> Path:
    """Path of a hand-written rule fixture."""
    path = RULE_FIXTURES / name
    assert path.is_file(), f"missing rule fixture {path}"
    return path
