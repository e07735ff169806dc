"""Configuration keys of issue 5: ``baseline``, ``[[suppress]]``, ``[server]``; exact messages."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig, ServerDefaults, load_config
from tableau_audit.errors import ConfigError
from tableau_audit.suppressions import Suppression

KNOWN = ("TA101", "TA301", "TA901")
FINGERPRINT = "0123456789abcdef0123456789abcdef"


def load(tmp_path: Path, body: str, name: str = "tableau-audit.toml") -> AuditConfig:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / name).write_text(body + "\n", encoding="utf-8")
    return load_config(None, cwd=tmp_path, known_rules=KNOWN)


def test_defaults_without_the_new_keys(tmp_path: Path) -> None:
    config = load(tmp_path, 'fail-on = "medium"')
    assert config.suppressions == ()
    assert config.baseline_path is None
    assert config.baseline is None
    assert config.server == ServerDefaults()


def test_all_new_keys(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        'baseline = "gate/baseline.json"\n'
        "[[suppress]]\n"
        f'fingerprint = "{FINGERPRINT.upper()}"\n'
        'reason = "approved"\n'
        "expires = 2026-12-31\n"
        "[[suppress]]\n"
        'rule = "TA101"\nworkbook = "finance/*.twbx"\ndatasource = "Payroll*"\nfield = "SSN"\n'
        'reason = "  pseudonymous id  "\nexpires = "2027-01-15"\n'
        "[server]\n"
        'server = "https://tableau.example.org"\nsite = ""\ntoken-name = "audit"\n'
        'concurrency = 4\nprojects = ["Finance", "HR/*"]\n',
    )
    assert config.baseline_path == tmp_path / "gate" / "baseline.json"
    assert config.suppressions == (
        Suppression(
            index=0,
            reason="approved",
            fingerprint=FINGERPRINT,
            expires=datetime.date(2026, 12, 31),
        ),
        Suppression(
            index=1,
            reason="pseudonymous id",
            rule="TA101",
            workbook="finance/*.twbx",
            datasource="Payroll*",
            field="SSN",
            expires=datetime.date(2027, 1, 15),
        ),
    )
    assert config.server == ServerDefaults(
        server="https://tableau.example.org",
        site="",
        token_name="audit",
        concurrency=4,
        projects=("Finance", "HR/*"),
    )


def test_keys_in_pyproject_table(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        '[tool.tableau-audit]\nbaseline = "b.json"\n[tool.tableau-audit.server]\nsite = "s"\n',
        name="pyproject.toml",
    )
    assert config.baseline_path == tmp_path / "b.json"
    assert config.server.site == "s"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("baseline = 1", "baseline: expected a string, got an integer"),
        ('baseline = " "', "baseline: must not be empty"),
        ("suppress = 1", "suppress: expected an array, got an integer"),
        ("suppress = [1]", "suppress[0]: expected a table, got an integer"),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"',
            "suppress[0].reason: missing (required): say why the finding is accepted",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"\nreason = "  "',
            "suppress[0].reason: must not be empty: say why the finding is accepted",
        ),
        (
            '[[suppress]]\nreason = "r"',
            "suppress[0]: give 'fingerprint', or 'rule' and 'workbook', to say what to suppress",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nreason = "r"',
            "suppress[0].workbook: missing (required with 'rule'; use \"*\" for every workbook)",
        ),
        (
            f'[[suppress]]\nfingerprint = "{FINGERPRINT}"\nrule = "TA101"\nreason = "r"',
            "suppress[0]: give either 'fingerprint' or 'rule' + 'workbook' (with optional "
            "'datasource' and 'field'), not both",
        ),
        (
            '[[suppress]]\nfingerprint = "abc"\nreason = "r"',
            "suppress[0].fingerprint: not a finding fingerprint (32 hexadecimal digits, as in "
            "the JSON report)",
        ),
        (
            '[[suppress]]\nrule = "TA999"\nworkbook = "*"\nreason = "r"',
            "suppress[0].rule: unknown rule TA999",
        ),
        (
            '[[suppress]]\nrule = "secret-rule"\nworkbook = "*"\nreason = "r"',
            "suppress[0].rule: 'secret-rule' is not a rule id (TA followed by three digits)",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"\nreason = "r"\nexpires = "soon"',
            "suppress[0].expires: expected a date such as 2026-12-31",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"\nreason = "r"\n'
            "expires = 2026-12-31T10:00:00",
            "suppress[0].expires: expected a date such as 2026-12-31, got a date-time",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"\nreason = "r"\nexpires = 20261231',
            "suppress[0].expires: expected a date such as 2026-12-31, got an integer",
        ),
        (
            '[[suppress]]\nrule = "TA101"\nworkbook = "*"\nreason = "r"\nfeild = "SSN"',
            "suppress[0].feild: unknown key (did you mean 'field'?); expected one of "
            "fingerprint, rule, workbook, datasource, field, reason, expires",
        ),
        ("server = 1", "server: expected a table, got an integer"),
        (
            '[server]\nserver = "tableau.example.org"',
            "server.server: expected a URL starting with https:// or http://",
        ),
        ("[server]\nconcurrency = 0", "server.concurrency: must be at least 1"),
        ("[server]\nconcurrency = 33", "server.concurrency: must be at most 32"),
        (
            '[server]\nconcurrency = "4"',
            "server.concurrency: expected a positive integer, got a string",
        ),
        ('[server]\nprojects = "Finance"', "server.projects: expected an array, got a string"),
        ('[server]\ntoken-name = ""', "server.token-name: must not be empty"),
    ],
)
def test_error_messages(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, body)
    assert str(raised.value) == f"{tmp_path / 'tableau-audit.toml'}: {message}"


SECRET_MESSAGE = (
    "never put a secret in the configuration file; set the TABLEAU_TOKEN_SECRET environment "
    "variable instead"
)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('[server]\ntoken-secret = "s3cr3t-value"', "server.token-secret"),
        ('[server]\npassword = "s3cr3t-value"', "server.password"),
        ('[server]\ntoken_secret = "s3cr3t-value"', "server.token_secret"),
        ('[server]\ntoken = "s3cr3t-value"', "server.token"),
        ('[server]\nPAT-Secret = "s3cr3t-value"', "server.PAT-Secret"),
        ('password = "s3cr3t-value"', "password"),
    ],
)
def test_secrets_are_refused_with_the_environment_variable_named(
    tmp_path: Path, body: str, key: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, body)
    assert str(raised.value) == f"{tmp_path / 'tableau-audit.toml'}: {key}: {SECRET_MESSAGE}"
    assert "s3cr3t-value" not in str(raised.value)


def test_invalid_file_exits_2_naming_the_key(tmp_path: Path) -> None:
    config = tmp_path / "audit.toml"
    config.write_text('[server]\ntoken-secret = "s3cr3t-value"\n', encoding="utf-8")
    target = (
        Path(__file__).resolve().parent / "fixtures" / "rules" / "TA301_pass_empty_password.tds"
    )
    result = CliRunner().invoke(cli, ["scan", str(target), "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == f"Error: {config}: server.token-secret: {SECRET_MESSAGE}\n"
    assert "s3cr3t-value" not in result.output + result.stderr
