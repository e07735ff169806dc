"""Configuration loader: discovery, every key, and one exact message per kind of error."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tableau_audit.classify.policy import ExtraPattern, Policy
from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.config import AuditConfig, find_config, load_config
from tableau_audit.errors import ConfigError
from tableau_audit.findings import Severity

FULL = """
fail-on = "medium"

[rules]
disable = ["TA103", "TA201"]

[rules.severity]
TA101 = "high"
TA303 = "Critical"

[classification]
min-tier = "high"
min-confidence = 0.75
sample-size = 500
allow-columns = ["Superstore.Customer Name", "*_hash"]
allow-datasources = ["Sample - *"]

[[classification.patterns]]
type = "national_id"
pattern = "^emp ref$"
tier = "high"

[[classification.patterns]]
type = "health"
pattern = "\\\\bward\\\\b"

[classification.tiers]
postal_code = "moderate"
ssn = "moderate"
"""

EXPECTED_FULL = AuditConfig(
    fail_on=Severity.MEDIUM,
    disabled_rules=frozenset({"TA103", "TA201"}),
    severity_overrides={"TA101": Severity.HIGH, "TA303": Severity.CRITICAL},
    policy=Policy(
        extra_patterns=(
            ExtraPattern(pii_type=PiiType.NATIONAL_ID, pattern="^emp ref$", tier=Tier.HIGH),
            ExtraPattern(pii_type=PiiType.HEALTH, pattern=r"\bward\b"),
        ),
        allow_columns=("Superstore.Customer Name", "*_hash"),
        allow_datasources=("Sample - *",),
        tier_overrides={PiiType.POSTAL_CODE: Tier.MODERATE, PiiType.SSN: Tier.MODERATE},
        confidential_min_tier=Tier.HIGH,
        min_confidence=0.75,
        sample_size=500,
    ),
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository root: discovery never looks above it."""
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    return tmp_path / "repo"


def test_no_file_gives_defaults(repo: Path) -> None:
    assert load_config(None, cwd=repo) == AuditConfig()
    assert find_config(repo) is None


def test_full_file(repo: Path) -> None:
    path = write(repo / "tableau-audit.toml", FULL)
    config = load_config(None, cwd=repo)
    assert config.source == path
    assert config == dataclasses.replace(EXPECTED_FULL, source=path)


def test_explicit_path_and_pyproject_table(repo: Path) -> None:
    body = FULL.replace("[rules", "[tool.tableau-audit.rules").replace(
        "[classification", "[tool.tableau-audit.classification"
    )
    body = body.replace('fail-on = "medium"', '[tool.tableau-audit]\nfail-on = "medium"')
    path = write(repo / "elsewhere" / "pyproject.toml", "[project]\nname = 'x'\n" + body)
    config = load_config(path, cwd=repo)
    assert config == dataclasses.replace(EXPECTED_FULL, source=path)


def test_discovery_walks_up_and_prefers_the_dedicated_file(repo: Path) -> None:
    nested = repo / "a" / "b"
    nested.mkdir(parents=True)
    write(repo / "pyproject.toml", '[tool.tableau-audit]\nfail-on = "low"\n')
    assert load_config(None, cwd=nested).fail_on is Severity.LOW
    write(repo / ".tableau-audit.toml", 'fail-on = "info"\n')
    assert find_config(nested) == repo / ".tableau-audit.toml"
    write(repo / "tableau-audit.toml", 'fail-on = "critical"\n')
    assert find_config(nested) == repo / "tableau-audit.toml"
    assert load_config(None, cwd=nested).fail_on is Severity.CRITICAL


def test_discovery_skips_foreign_pyproject_and_stops_at_repository_root(repo: Path) -> None:
    write(repo.parent / "tableau-audit.toml", 'fail-on = "low"\n')  # above the repository
    write(repo / "pkg" / "pyproject.toml", "[tool.black]\nline-length = 100\n")
    write(repo / "pyproject.toml", '[tool.tableau-audit]\nfail-on = "medium"\n')
    assert find_config(repo / "pkg") == repo / "pyproject.toml"
    (repo / "pyproject.toml").unlink()
    assert find_config(repo / "pkg") is None


def test_known_rules_rejects_unknown_ids(repo: Path) -> None:
    path = write(repo / "tableau-audit.toml", '[rules]\ndisable = ["TA999"]\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path, cwd=repo, known_rules={"TA101", "TA301"})
    assert str(raised.value) == f"{path}: rules.disable[0]: unknown rule TA999"
    assert load_config(path, cwd=repo).disabled_rules == frozenset({"TA999"})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            'fail-on = "severe"',
            "fail-on: not a severity; expected one of info, low, medium, high, critical",
        ),
        ("fail-on = 3", "fail-on: expected a string, got an integer"),
        (
            'failon = "high"',
            "failon: unknown key (did you mean 'fail-on'?); expected one of fail-on, rules, "
            "classification, baseline, suppress, server",
        ),
        (
            '[server]\nurl = "x"',
            "server.url: unknown key; expected one of server, site, token-name, concurrency, "
            "projects",
        ),
        ("rules = 1", "rules: expected a table, got an integer"),
        ('[rules]\ndisable = "TA101"', "rules.disable: expected an array, got a string"),
        ("[rules]\ndisable = [101]", "rules.disable[0]: expected a string, got an integer"),
        (
            '[rules]\ndisable = ["TA1"]',
            "rules.disable[0]: 'TA1' is not a rule id (TA followed by three digits)",
        ),
        (
            '[rules]\nenable = ["TA101"]',
            "rules.enable: unknown key (did you mean 'disable'?); "
            "expected one of disable, severity",
        ),
        (
            '[rules.severity]\nTA101 = "urgent"',
            "rules.severity.TA101: not a severity; expected one "
            "of info, low, medium, high, critical",
        ),
        (
            '[rules.severity]\nta101 = "high"',
            "rules.severity.ta101: 'ta101' is not a rule id (TA followed by three digits)",
        ),
        (
            '[classification]\nmin-tier = "extreme"',
            "classification.min-tier: not a tier; expected one of low, moderate, high",
        ),
        (
            "[classification]\nmin-confidence = 1.5",
            "classification.min-confidence: must be between 0 and 1",
        ),
        (
            '[classification]\nmin-confidence = "high"',
            "classification.min-confidence: expected a number between 0 and 1, got a string",
        ),
        (
            "[classification]\nsample-size = -1",
            "classification.sample-size: must be 0 (names only) or more",
        ),
        (
            "[classification]\nsample-size = true",
            "classification.sample-size: expected a whole number (0 or more), got a boolean",
        ),
        (
            "[classification]\nsample-size = 2.5",
            "classification.sample-size: expected a whole number (0 or more), got a float",
        ),
        (
            "[classification]\nsample_size = 10",
            "classification.sample_size: unknown key (did you mean 'sample-size'?); expected one "
            "of min-tier, min-confidence, sample-size, allow-columns, allow-datasources, "
            "patterns, tiers",
        ),
        (
            '[classification]\nallow-columns = [""]',
            "classification.allow-columns[0]: must not be empty",
        ),
        (
            "[classification]\nallow-datasources = [1]",
            "classification.allow-datasources[0]: expected a string, got an integer",
        ),
        (
            '[classification.tiers]\nssn = "top"',
            "classification.tiers.ssn: not a tier; expected one of low, moderate, high",
        ),
        (
            '[[classification.patterns]]\npattern = "x"',
            "classification.patterns[0].type: missing (required)",
        ),
        (
            '[[classification.patterns]]\ntype = "ssn"',
            "classification.patterns[0].pattern: missing (required)",
        ),
        (
            '[[classification.patterns]]\ntype = "ssn"\npattern = "("',
            "classification.patterns[0]."
            "pattern: invalid regular expression (missing ), unterminated subpattern)",
        ),
        (
            '[[classification.patterns]]\ntype = "ssn"\npattern = " "',
            "classification.patterns[0].pattern: must not be empty",
        ),
        (
            '[[classification.patterns]]\ntype = "ssn"\npattern = "x"\nlevel = "high"',
            "classification.patterns[0].level: unknown key; expected one of type, pattern, tier",
        ),
        (
            '[[classification.patterns]]\ntype = "ssn"\npattern = "x"\ntier = "huge"',
            "classification.patterns[0].tier: not a tier; expected one of low, moderate, high",
        ),
        (
            "[classification]\npatterns = [1]",
            "classification.patterns[0]: expected a table, got an integer",
        ),
        ("fail-on = 1979-05-27", "fail-on: expected a string, got a date or time"),
    ],
)
def test_error_messages(repo: Path, body: str, message: str) -> None:
    path = write(repo / "tableau-audit.toml", body + "\n")
    with pytest.raises(ConfigError) as raised:
        load_config(None, cwd=repo)
    assert str(raised.value) == f"{path}: {message}"


def test_unknown_type_lists_the_types(repo: Path) -> None:
    path = write(repo / "tableau-audit.toml", '[classification.tiers]\nshoe_size = "low"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path, cwd=repo)
    message = str(raised.value)
    assert message.startswith(
        f"{path}: classification.tiers.shoe_size: unknown data type; expected one of age, "
    )
    assert all(t.value in message for t in PiiType)


def test_file_level_errors(repo: Path) -> None:
    missing = repo / "nope.toml"
    with pytest.raises(ConfigError, match=r"nope\.toml: configuration file not found$"):
        load_config(missing, cwd=repo)
    broken = write(repo / "broken.toml", "fail-on = \n")
    with pytest.raises(ConfigError) as raised:
        load_config(broken, cwd=repo)
    assert str(raised.value).startswith(f"{broken}: invalid TOML: ")
    latin = repo / "latin.toml"
    latin.write_bytes(b'fail-on = "h\xe9"\n')
    with pytest.raises(ConfigError) as raised:
        load_config(latin, cwd=repo)
    assert str(raised.value) == f"{latin}: the file is not valid UTF-8"
    pyproject = write(repo / "sub" / "pyproject.toml", "[tool.black]\nline-length = 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(pyproject, cwd=repo)
    assert str(raised.value) == f"{pyproject}: no [tool.tableau-audit] table"


def test_messages_never_repeat_configured_values(repo: Path) -> None:
    canary = "s3cr3t-canary-value"
    for body in (
        f'fail-on = "{canary}"',
        f'[classification]\nmin-tier = "{canary}"',
        f'[classification.tiers]\nssn = "{canary}"',
        f'[[classification.patterns]]\ntype = "ssn"\npattern = "({canary}"',
    ):
        write(repo / "tableau-audit.toml", body + "\n")
        with pytest.raises(ConfigError) as raised:
            load_config(None, cwd=repo)
        assert canary not in str(raised.value)
