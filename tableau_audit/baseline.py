"""Baselines: the findings a team has accepted on a given day, so a gate fails on new ones only.

A baseline file is JSON, written by ``tableau-audit baseline create FILE`` and read by
``scan --baseline FILE`` (or ``baseline = "FILE"`` in the configuration)::

    {
      "findings": [
        {"fingerprint": "<32 hex>", "item": "<32 hex>", "rule_id": "TA101"},
        ...
      ],
      "schema_version": 1,
      "tool": "tableau-audit"
    }

``fingerprint`` is the finding's stable identity (sha256 of rule id, item identity and logical
object path: no line numbers, values or message text), the same one the JSON and SARIF reports
carry. ``item`` is the sha256 of the item's identity (its server id or path) so that the file
names no path either. Entries are sorted and unique, and the file holds no clock, so creating a
baseline twice over the same input gives the same bytes. Loading and subtracting are pure apart
from reading the file; a damaged file is a :class:`~tableau_audit.errors.ConfigError` (exit 2).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tableau_audit.errors import ConfigError
from tableau_audit.findings import AuditResult, Finding, ItemReport, Skipped
from tableau_audit.records import frozen

__all__ = [
    "SCHEMA_VERSION",
    "Baseline",
    "BaselineEntry",
    "BaselineOutcome",
    "baseline_from_result",
    "dump_baseline",
    "item_hash",
    "load_baseline",
    "parse_baseline",
    "split_baseline",
]

SCHEMA_VERSION = 1
TOOL = "tableau-audit"
_HEX32 = re.compile(r"[0-9a-f]{32}")
_RULE_ID = re.compile(r"TA\d{3}")
_ENTRY_KEYS = ("fingerprint", "item", "rule_id")


@dataclass(frozen=True, slots=True, order=True)
class BaselineEntry:
    """One accepted finding: hashes and a rule id only."""

    item: str
    """sha256 (32 hex digits) of the item's identity: server id, or path as scanned."""
    rule_id: str
    fingerprint: str


@frozen
class Baseline:
    """The accepted findings of one baseline file."""

    entries: tuple[BaselineEntry, ...] = ()

    @property
    def fingerprints(self) -> frozenset[str]:
        """Fingerprints of every accepted finding."""
        return frozenset(entry.fingerprint for entry in self.entries)


def item_hash(identity: str) -> str:
    """sha256 of an item's identity, shortened like finding fingerprints."""
    import hashlib  # NOTE: loads OpenSSL; a scan without a baseline never needs it

    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]


def baseline_from_result(result: AuditResult) -> Baseline:
    """Every finding of the run (items and skipped inputs), as a baseline."""
    entries = {
        BaselineEntry(
            item=item_hash(item.item_id or item.source),
            rule_id=f.rule_id,
            fingerprint=f.fingerprint,
        )
        for item in result.items
        for f in item.findings
    }
    entries |= {
        BaselineEntry(
            item=item_hash(skip.source),
            rule_id=skip.finding.rule_id,
            fingerprint=skip.finding.fingerprint,
        )
        for skip in result.skipped
    }
    return Baseline(entries=tuple(sorted(entries)))


def dump_baseline(baseline: Baseline) -> str:
    """The baseline file's text: sorted keys and entries, two-space indent, trailing newline."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "findings": [dataclasses.asdict(entry) for entry in sorted(set(baseline.entries))],
    }
    return json.dumps(document, sort_keys=True, indent=2) + "\n"


def load_baseline(path: Path) -> Baseline:
    """Read and validate a baseline file; ConfigError naming the file and what is wrong."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise ConfigError(
            f"{path}: baseline file not found (create it with `tableau-audit baseline create`)"
        ) from e
    except OSError as e:
        raise ConfigError(
            f"{path}: cannot read the baseline file ({e.strerror or type(e).__name__})"
        ) from e
    return parse_baseline(data, str(path))


def parse_baseline(data: bytes, label: str) -> Baseline:
    """Validate a baseline document. Messages name keys and positions, never the content."""
    prefix = f"{label}: not a valid tableau-audit baseline"
    try:
        document = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise ConfigError(f"{prefix}: the file is not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{prefix}: invalid JSON ({e.msg} at line {e.lineno})") from e
    if not isinstance(document, dict):
        raise ConfigError(f"{prefix}: expected a JSON object")
    version = document.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ConfigError(
            f"{prefix}: schema_version must be {SCHEMA_VERSION} "
            f"({'missing' if version is None else 'unsupported version'})"
        )
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise ConfigError(f"{prefix}: 'findings' must be a list")
    return Baseline(
        entries=tuple(
            sorted({_entry(e, f"{prefix}: findings[{i}]") for i, e in enumerate(findings)})
        )
    )


def _entry(value: object, where: str) -> BaselineEntry:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected an object")
    for key in _ENTRY_KEYS:
        if not isinstance(value.get(key), str):
            raise ConfigError(f"{where}: '{key}' is missing or not a string")
    extra = sorted(set(value) - set(_ENTRY_KEYS))
    if extra:
        raise ConfigError(f"{where}: unexpected key {extra[0]!r}")
    fields: Mapping[str, str] = value
    if not _HEX32.fullmatch(fields["fingerprint"]):
        raise ConfigError(f"{where}: 'fingerprint' must be 32 lower-case hexadecimal digits")
    if not _HEX32.fullmatch(fields["item"]):
        raise ConfigError(f"{where}: 'item' must be 32 lower-case hexadecimal digits")
    if not _RULE_ID.fullmatch(fields["rule_id"]):
        raise ConfigError(f"{where}: 'rule_id' must be TA followed by three digits")
    return BaselineEntry(
        item=fields["item"], rule_id=fields["rule_id"], fingerprint=fields["fingerprint"]
    )


@frozen
class BaselineOutcome:
    """Items and skipped inputs with only their new findings, and the known ones taken out."""

    items: tuple[ItemReport, ...]
    skipped: tuple[Skipped, ...]
    known: tuple[Finding, ...]


def split_baseline(
    items: Iterable[ItemReport], skipped: Iterable[Skipped], baseline: Baseline
) -> BaselineOutcome:
    """Move every finding whose fingerprint the baseline holds out of the items and skipped."""
    accepted = baseline.fingerprints
    known: list[Finding] = []
    kept_items = []
    for item in items:
        known.extend(f for f in item.findings if f.fingerprint in accepted)
        new = tuple(f for f in item.findings if f.fingerprint not in accepted)
        kept_items.append(dataclasses.replace(item, findings=new))
    kept_skipped = []
    for skip in skipped:
        if skip.finding.fingerprint in accepted:
            known.append(skip.finding)
        else:
            kept_skipped.append(skip)
    return BaselineOutcome(items=tuple(kept_items), skipped=tuple(kept_skipped), known=tuple(known))
