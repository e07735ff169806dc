"""The pre-commit hook definition: valid YAML, the agreed id and file pattern, a working command."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from tableau_audit.cli import cli

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "rules"

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib


@pytest.fixture(scope="module")
def hook() -> dict[str, Any]:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert isinstance(hooks, list)
    assert [h["id"] for h in hooks] == ["tableau-audit"]
    found: dict[str, Any] = hooks[0]
    return found


def test_hook_fields(hook: dict[str, Any]) -> None:
    assert hook["entry"] == "tableau-audit scan"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True
    assert hook["files"] == r"\.(twbx?|tdsx?)$"
    assert hook["args"][:2] == ["--fail-on", "high"]
    assert hook["name"] == "tableau-audit"
    assert hook["description"]


@pytest.mark.parametrize(
    ("path", "audited"),
    [
        ("dashboards/Sales.twb", True),
        ("dashboards/Sales.twbx", True),
        ("sources/People.tds", True),
        ("sources/People.tdsx", True),
        ("Data/Extracts/people.hyper", False),
        ("exports/people.csv", False),
        ("Sales.twbx.bak", False),
        ("notes.twb.md", False),
    ],
)
def test_file_pattern(hook: dict[str, Any], path: str, audited: bool) -> None:
    # pre-commit applies `files` with re.search on the repository-relative path.
    assert bool(re.search(hook["files"], path)) is audited


def test_entry_is_the_installed_console_script() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["tableau-audit"] == "tableau_audit.entry:main"


def test_hook_command_line_gates(hook: dict[str, Any]) -> None:
    """The command pre-commit runs (entry + args + file names) exits 0 clean, 1 on findings."""
    program, *command = shlex.split(hook["entry"])
    assert program == "tableau-audit"
    argv = [*command, *hook["args"]]
    clean = CliRunner().invoke(cli, [*argv, str(FIXTURES / "TA301_pass_empty_password.tds")])
    assert clean.exit_code == 0, clean.output
    failing = [str(FIXTURES / n) for n in ("TA301_fail_password.tds", "TA303_pass_no_secret.twb")]
    stopped = CliRunner().invoke(cli, [*argv, *failing])
    assert stopped.exit_code == 1
    assert "TA301" in stopped.stdout
