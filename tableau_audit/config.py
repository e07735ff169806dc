"""Run configuration: a frozen :class:`AuditConfig` built from options and an optional TOML file.

:func:`load_config` reads ``--config FILE``, or else the first of ``tableau-audit.toml``,
``.tableau-audit.toml`` and ``pyproject.toml`` (with a ``[tool.tableau-audit]`` table) found from
the working directory upwards, stopping at the repository root (a directory holding ``.git``).
The keys::

    fail-on = "high"                                  # info | low | medium | high | critical
    baseline = ".tableau-audit-baseline.json"         # relative to this file
    [rules]
    disable = ["TA103"]
    [rules.severity]
    TA101 = "high"
    [classification]
    min-tier = "moderate"                             # low | moderate | high
    min-confidence = 0.6
    sample-size = 1000                                # values read per extract column; 0 = none
    allow-columns = ["Superstore.Customer Name", "*_hash"]
    allow-datasources = ["Sample - *"]
    [[classification.patterns]]
    type = "national_id"
    pattern = "^emp ref$"
    tier = "high"                                     # optional
    [classification.tiers]
    postal_code = "moderate"
    [[suppress]]                                      # by fingerprint ...
    fingerprint = "0123456789abcdef0123456789abcdef"
    reason = "approved by the data owner"             # mandatory, non-empty
    expires = 2026-12-31                              # optional: suppresses up to that day
    [[suppress]]                                      # ... or by rule + workbook (+ field)
    rule = "TA101"
    workbook = "finance/*.twbx"                       # glob: source, file name or name
    datasource = "Payroll*"                           # optional glob
    field = "Employee ID"                             # optional glob
    reason = "pseudonymous id, see DPIA-17"
    [server]                                          # defaults for `tableau-audit server`
    server = "https://tableau.example.org"
    site = "finance"                                  # content URL; "" = default site
    token-name = "audit-token"                        # never the secret: TABLEAU_TOKEN_SECRET
    concurrency = 4
    projects = ["Finance", "HR/*"]

Anything else is a :class:`~tableau_audit.errors.ConfigError` naming the file, the dotted key and
what is wrong. Messages never repeat a configured value (only key names, rule ids and type names).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tableau_audit.baseline import Baseline
from tableau_audit.classify.policy import ExtraPattern, Policy
from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.errors import ConfigError
from tableau_audit.findings import Severity
from tableau_audit.records import frozen
from tableau_audit.suppressions import Suppression

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["CONFIG_FILENAMES", "AuditConfig", "ServerDefaults", "find_config", "load_config"]

CONFIG_FILENAMES = ("tableau-audit.toml", ".tableau-audit.toml")
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "tableau-audit")
_RULE_ID = re.compile(r"TA\d{3}")

_V = TypeVar("_V")


@frozen
class AuditConfig:
    """Everything a run needs to know; built by the CLI, read by the engine."""

    fail_on: Severity = Severity.HIGH
    policy: Policy = field(default_factory=Policy)
    disabled_rules: frozenset[str] = frozenset()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)
    skipped_severity: Severity = Severity.HIGH
    """Severity of the TA901 finding that stands for an input that could not be audited."""
    source: Path | None = None
    """The configuration file these settings came from; None for the built-in defaults."""
    suppressions: tuple[Suppression, ...] = ()
    baseline_path: Path | None = None
    """``baseline = "FILE"`` of the configuration (relative to its file), read by ``scan``."""
    baseline: Baseline | None = None
    """Accepted findings (``--baseline``); the engine moves them out of the gate."""
    server: ServerDefaults = field(default_factory=lambda: ServerDefaults())
    """``[server]`` defaults for the server audit; never a secret."""


@frozen
class ServerDefaults:
    """``[server]``: where and how to audit a site. The PAT secret only ever comes from the
    ``TABLEAU_TOKEN_SECRET`` environment variable, never from a file."""

    server: str | None = None
    """Server URL (``https://...``)."""
    site: str | None = None
    """Site content URL; ``""`` for the default site."""
    token_name: str | None = None
    concurrency: int | None = None
    projects: tuple[str, ...] = ()
    """Project names or globs to audit; empty for all."""


@dataclass(frozen=True, slots=True)
class _Where:
    """Where a value sits, for error messages: the file and the dotted key."""

    file: str
    key: str = ""

    def child(self, key: str) -> _Where:
        return _Where(self.file, f"{self.key}.{key}" if self.key else key)

    def item(self, index: int) -> _Where:
        return _Where(self.file, f"{self.key}[{index}]")

    def error(self, message: str) -> ConfigError:
        return ConfigError(
            f"{self.file}: {self.key}: {message}" if self.key else f"{self.file}: {message}"
        )


def load_config(
    path: Path | None, *, cwd: Path, known_rules: Collection[str] | None = None
) -> AuditConfig:
    """Read the configuration: ``path`` when given, else the nearest config file from ``cwd`` up.

    Without any file the built-in defaults apply. ``known_rules`` (the registry's ids), when given,
    makes an unknown rule id an error rather than only a malformed one.
    """
    if path is None:
        path = find_config(cwd)
        if path is None:
            return AuditConfig()
    elif not path.is_file():
        raise ConfigError(f"{path}: configuration file not found")
    table, where = _read(path)
    return dataclasses.replace(_config(table, where, known_rules), source=path)


def find_config(cwd: Path) -> Path | None:
    """The nearest configuration file from ``cwd`` upwards, stopping at the repository root."""
    start = cwd.absolute()
    for directory in (start, *start.parents):
        for name in CONFIG_FILENAMES:
            candidate = directory / name
            if candidate.is_file():
                return candidate
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (directory / ".git").exists():
            return None
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # NOTE: a broken pyproject.toml that is not ours is not our error; keep searching.
        return False
    tool = document.get(PYPROJECT_TABLE[0])
    return isinstance(tool, dict) and isinstance(tool.get(PYPROJECT_TABLE[1]), dict)


def _read(path: Path) -> tuple[Mapping[str, object], _Where]:
    where = _Where(str(path))
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as e:
        raise where.error(f"cannot read the file ({e.strerror or type(e).__name__})") from e
    except UnicodeDecodeError as e:
        raise where.error("the file is not valid UTF-8") from e
    try:
        document: Mapping[str, object] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise where.error(f"invalid TOML: {e}") from e
    if path.name != PYPROJECT:
        return document, where
    tool = _table(document.get(PYPROJECT_TABLE[0], {}), where.child(PYPROJECT_TABLE[0]))
    where = where.child(".".join(PYPROJECT_TABLE))
    if PYPROJECT_TABLE[1] not in tool:
        raise ConfigError(f"{path}: no [{where.key}] table")
    return _table(tool[PYPROJECT_TABLE[1]], where), where


# --- sections -------------------------------------------------------------------------------------
# NOTE: each section lists its keys once (``_keys``) and parses them; a new key (issue 5:
# suppressions, baseline, server defaults) is one entry in a key tuple plus one line of parsing.

_TOP_KEYS = ("fail-on", "rules", "classification", "baseline", "suppress", "server")
_RULES_KEYS = ("disable", "severity")
_CLASSIFICATION_KEYS = (
    "min-tier",
    "min-confidence",
    "sample-size",
    "allow-columns",
    "allow-datasources",
    "patterns",
    "tiers",
)
_PATTERN_KEYS = ("type", "pattern", "tier")


def _config(
    table: Mapping[str, object], where: _Where, known_rules: Collection[str] | None
) -> AuditConfig:
    _no_secrets(table, where)
    _keys(table, _TOP_KEYS, where)
    defaults = AuditConfig()
    rules = _table(table.get("rules", {}), where.child("rules"))
    _keys(rules, _RULES_KEYS, where.child("rules"))
    disabled = _array(rules.get("disable", []), where.child("rules").child("disable"), _string)
    for index, rule_id in enumerate(disabled):
        _rule_id(rule_id, where.child("rules").child("disable").item(index), known_rules)
    severities = _table(rules.get("severity", {}), where.child("rules").child("severity"))
    overrides: dict[str, Severity] = {}
    for rule_id, value in severities.items():
        at = where.child("rules").child("severity").child(rule_id)
        overrides[_rule_id(rule_id, at, known_rules)] = _severity(value, at)
    fail_on = (
        _severity(table["fail-on"], where.child("fail-on"))
        if "fail-on" in table
        else defaults.fail_on
    )
    policy = _policy(_table(table.get("classification", {}), where.child("classification")), where)
    config = AuditConfig(
        fail_on=fail_on,
        policy=policy,
        disabled_rules=frozenset(disabled),
        severity_overrides=overrides,
    )
    return _gate_and_server(config, table, where, known_rules)


def _policy(table: Mapping[str, object], where: _Where) -> Policy:
    at = where.child("classification")
    _keys(table, _CLASSIFICATION_KEYS, at)
    default = Policy()
    tiers = _table(table.get("tiers", {}), at.child("tiers"))
    return Policy(
        extra_patterns=tuple(
            _extra_pattern(item, at.child("patterns").item(i))
            for i, item in enumerate(_array(table.get("patterns", []), at.child("patterns"), _any))
        ),
        allow_columns=tuple(
            _array(table.get("allow-columns", []), at.child("allow-columns"), _glob)
        ),
        allow_datasources=tuple(
            _array(table.get("allow-datasources", []), at.child("allow-datasources"), _glob)
        ),
        tier_overrides={
            _pii_type(name, at.child("tiers").child(name), key=True): _tier(
                value, at.child("tiers").child(name)
            )
            for name, value in tiers.items()
        },
        confidential_min_tier=_tier(table["min-tier"], at.child("min-tier"))
        if "min-tier" in table
        else default.confidential_min_tier,
        min_confidence=_confidence(table["min-confidence"], at.child("min-confidence"))
        if "min-confidence" in table
        else default.min_confidence,
        sample_size=_sample_size(table["sample-size"], at.child("sample-size"))
        if "sample-size" in table
        else default.sample_size,
    )


def _extra_pattern(item: object, where: _Where) -> ExtraPattern:
    table = _table(item, where)
    _keys(table, _PATTERN_KEYS, where)
    for required in ("type", "pattern"):
        if required not in table:
            raise where.child(required).error("missing (required)")
    pattern = _string(table["pattern"], where.child("pattern"))
    if not pattern.strip():
        raise where.child("pattern").error("must not be empty")
    try:
        re.compile(pattern)
    except re.error as e:
        raise where.child("pattern").error(f"invalid regular expression ({e.msg})") from e
    return ExtraPattern(
        pii_type=_pii_type(table["type"], where.child("type")),
        pattern=pattern,
        tier=_tier(table["tier"], where.child("tier")) if "tier" in table else None,
    )


# --- issue 5: baseline, suppressions, server defaults ---------------------------------------------

_SUPPRESS_KEYS = ("fingerprint", "rule", "workbook", "datasource", "field", "reason", "expires")
_SERVER_KEYS = ("server", "site", "token-name", "concurrency", "projects")
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_SECRET_WORDS = ("secret", "password", "passwd")
_SECRET_NAMES = ("token", "pat", "personal-access-token", "credentials")
_MAX_CONCURRENCY = 32


def _gate_and_server(
    config: AuditConfig,
    table: Mapping[str, object],
    where: _Where,
    known_rules: Collection[str] | None,
) -> AuditConfig:
    """``config`` with ``baseline``, ``[[suppress]]`` and ``[server]`` of ``table``."""
    baseline_path = None
    if "baseline" in table:
        text = _glob(table["baseline"], where.child("baseline"))
        # NOTE: relative to the configuration file, so the gate works from any directory.
        baseline_path = Path(where.file).parent / text
    suppress = _array(table.get("suppress", []), where.child("suppress"), _any)
    return dataclasses.replace(
        config,
        baseline_path=baseline_path,
        suppressions=tuple(
            _suppression(item, where.child("suppress").item(i), i, known_rules)
            for i, item in enumerate(suppress)
        ),
        server=_server(_table(table.get("server", {}), where.child("server")), where),
    )


def _suppression(
    item: object, where: _Where, index: int, known_rules: Collection[str] | None
) -> Suppression:
    table = _table(item, where)
    _keys(table, _SUPPRESS_KEYS, where)
    if "reason" not in table:
        raise where.child("reason").error("missing (required): say why the finding is accepted")
    reason = _string(table["reason"], where.child("reason")).strip()
    if not reason:
        raise where.child("reason").error("must not be empty: say why the finding is accepted")
    expires = _date(table["expires"], where.child("expires")) if "expires" in table else None
    globs = {
        key: _glob(table[key], where.child(key))
        for key in ("rule", "workbook", "datasource", "field")
        if key in table
    }
    if "fingerprint" in table:
        if globs:
            raise where.error(
                "give either 'fingerprint' or 'rule' + 'workbook' (with optional 'datasource' "
                "and 'field'), not both"
            )
        text = _string(table["fingerprint"], where.child("fingerprint")).strip().lower()
        if not _FINGERPRINT.fullmatch(text):
            raise where.child("fingerprint").error(
                "not a finding fingerprint (32 hexadecimal digits, as in the JSON report)"
            )
        return Suppression(index=index, reason=reason, fingerprint=text, expires=expires)
    if "rule" not in globs:
        raise where.error("give 'fingerprint', or 'rule' and 'workbook', to say what to suppress")
    if "workbook" not in globs:
        raise where.child("workbook").error(
            "missing (required with 'rule'; use \"*\" for every workbook)"
        )
    return Suppression(
        index=index,
        reason=reason,
        rule=_rule_id(globs["rule"], where.child("rule"), known_rules),
        workbook=globs["workbook"],
        datasource=globs.get("datasource"),
        field=globs.get("field"),
        expires=expires,
    )


def _date(value: object, where: _Where) -> datetime.date:
    """A TOML date (``2026-12-31``) or the same as a string; never a date-time."""
    if isinstance(value, (datetime.datetime, datetime.time)):
        raise where.error("expected a date such as 2026-12-31, got a date-time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise where.error("expected a date such as 2026-12-31") from None
    raise where.error(f"expected a date such as 2026-12-31, got {_kind(value)}")


def _server(table: Mapping[str, object], where: _Where) -> ServerDefaults:
    at = where.child("server")
    _no_secrets(table, at)
    _keys(table, _SERVER_KEYS, at)
    server = _string(table["server"], at.child("server")).strip() if "server" in table else None
    if server is not None and not server.startswith(("https://", "http://")):
        raise at.child("server").error("expected a URL starting with https:// or http://")
    concurrency = None
    if "concurrency" in table:
        concurrency = _positive_int(table["concurrency"], at.child("concurrency"))
        if concurrency > _MAX_CONCURRENCY:
            raise at.child("concurrency").error(f"must be at most {_MAX_CONCURRENCY}")
    return ServerDefaults(
        server=server,
        site=_string(table["site"], at.child("site")).strip() if "site" in table else None,
        token_name=_glob(table["token-name"], at.child("token-name")).strip()
        if "token-name" in table
        else None,
        concurrency=concurrency,
        projects=tuple(_array(table.get("projects", []), at.child("projects"), _glob)),
    )


def _no_secrets(table: Mapping[str, object], where: _Where) -> None:
    """Refuse a secret-looking key outright (before the unknown-key check): a secret in a
    file that is usually committed is a leak, whatever the key is called."""
    for key in table:
        name = key.lower().replace("_", "-")
        if any(word in name for word in _SECRET_WORDS) or name in _SECRET_NAMES:
            raise where.child(key).error(
                "never put a secret in the configuration file; set the "
                "TABLEAU_TOKEN_SECRET environment variable instead"
            )


# --- value checks ---------------------------------------------------------------------------------


def _keys(table: Mapping[str, object], allowed: tuple[str, ...], where: _Where) -> None:
    for key in table:
        if key not in allowed:
            import difflib  # NOTE: only for a misspelt key; a valid config does not load it

            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise where.child(key).error(f"unknown key{hint}; expected one of {', '.join(allowed)}")


def _table(value: object, where: _Where) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise where.error(f"expected a table, got {_kind(value)}")
    return value


def _array(value: object, where: _Where, item: Callable[[object, _Where], _V]) -> list[_V]:
    if not isinstance(value, list):
        raise where.error(f"expected an array, got {_kind(value)}")
    return [item(element, where.item(i)) for i, element in enumerate(value)]


def _any(value: object, where: _Where) -> object:
    return value


def _string(value: object, where: _Where) -> str:
    if not isinstance(value, str):
        raise where.error(f"expected a string, got {_kind(value)}")
    return value


def _glob(value: object, where: _Where) -> str:
    text = _string(value, where)
    if not text.strip():
        raise where.error("must not be empty")
    return text


def _choice(value: object, where: _Where, choices: Mapping[str, _V], what: str) -> _V:
    text = _string(value, where)
    if text.lower() not in choices:
        raise where.error(f"not a {what}; expected one of {', '.join(choices)}")
    return choices[text.lower()]


_SEVERITIES = {s.name.lower(): s for s in Severity}
_TIERS = {t.label: t for t in Tier}
_TYPES = {t.value: t for t in PiiType}


def _severity(value: object, where: _Where) -> Severity:
    return _choice(value, where, _SEVERITIES, "severity")


def _tier(value: object, where: _Where) -> Tier:
    return _choice(value, where, _TIERS, "tier")


def _pii_type(value: object, where: _Where, *, key: bool = False) -> PiiType:
    text = _string(value, where)
    if text not in _TYPES:
        subject = "unknown data type" if key else f"unknown data type '{text}'"
        raise where.error(f"{subject}; expected one of {', '.join(sorted(_TYPES))}")
    return _TYPES[text]


def _rule_id(value: str, where: _Where, known: Collection[str] | None) -> str:
    if not _RULE_ID.fullmatch(value):
        raise where.error(f"'{value[:20]}' is not a rule id (TA followed by three digits)")
    if known is not None and value not in known:
        raise where.error(f"unknown rule {value}")
    return value


def _confidence(value: object, where: _Where) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.error(f"expected a number between 0 and 1, got {_kind(value)}")
    if not 0.0 <= float(value) <= 1.0:
        raise where.error("must be between 0 and 1")
    return float(value)


def _positive_int(value: object, where: _Where) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"expected a positive integer, got {_kind(value)}")
    if value < 1:
        raise where.error("must be at least 1")
    return value


def _sample_size(value: object, where: _Where) -> int:
    """Values read per extract column; 0 reads none (name-only classification, faster CI)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.error(f"expected a whole number (0 or more), got {_kind(value)}")
    if value < 0:
        raise where.error("must be 0 (names only) or more")
    return value


def _kind(value: object) -> str:
    """TOML type of a value, for messages (never the value itself)."""
    kinds = {bool: "a boolean", str: "a string", int: "an integer", float: "a float"}
    kinds.update({list: "an array", dict: "a table"})
    return kinds.get(type(value), "a date or time")
