"""``scan --sample-size N`` and ``sample-size`` in the configuration: 0 reads no values at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tableau_audit.cli import cli
from tableau_audit.config import load_config

pytestmark = pytest.mark.hyper

# people.hyper (fixtures/samples/basic.py): 500 rows, every value non-blank.
SSN = ("public.people", "ssn")


def _scan(path: Path, *args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, ["scan", "--format", "json", *args, str(path)])
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def _classified(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    [item] = document["workbooks"]
    return {
        (c["datasource"], c["remote_name"]): c["classification"]
        for c in item["columns"]
        if c["classification"] is not None
    }


def test_sample_size_zero_classifies_by_name_only(generated_samples: Path) -> None:
    found = _classified(_scan(generated_samples / "people.hyper", "--sample-size", "0"))
    assert SSN in found
    assert {c["name_only"] for c in found.values()} == {True}
    assert {c["sample_size"] for c in found.values()} == {0}
    assert {c["match_count"] for c in found.values()} == {0}
    # Not even "too few values": nothing was read.
    assert [c for c in found.values() if "values" in c["signals"]] == []


def test_sample_size_bounds_the_values_read(generated_samples: Path) -> None:
    small = _classified(_scan(generated_samples / "people.hyper", "--sample-size", "40"))
    assert small[SSN]["name_only"] is False
    assert small[SSN]["sample_size"] == 40
    default = _classified(_scan(generated_samples / "people.hyper"))
    assert default[SSN]["sample_size"] == 500  # the whole table: fewer rows than the default 1000


def test_option_overrides_the_configured_sample_size(
    generated_samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # the config search stops at a repository root
    (tmp_path / "tableau-audit.toml").write_text(
        "[classification]\nsample-size = 0\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    configured = _classified(_scan(generated_samples / "people.hyper"))
    assert configured[SSN]["name_only"] is True
    overridden = _classified(_scan(generated_samples / "people.hyper", "--sample-size", "60"))
    assert overridden[SSN]["sample_size"] == 60


def test_config_accepts_zero(tmp_path: Path) -> None:
    config = tmp_path / "tableau-audit.toml"
    config.write_text("[classification]\nsample-size = 0\n", encoding="utf-8")
    assert load_config(config, cwd=tmp_path).policy.sample_size == 0


@pytest.mark.parametrize("value", ["-1", "many"])
def test_negative_or_non_numeric_sample_size_is_a_usage_error(
    generated_samples: Path, value: str
) -> None:
    result = CliRunner().invoke(
        cli, ["scan", "--sample-size", value, str(generated_samples / "people.hyper")]
    )
    assert result.exit_code == 2
    assert "--sample-size" in result.stderr
