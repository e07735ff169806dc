"""Documentation meta-tests: generated pages are current, every command explains itself."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from tableau_audit.cli import cli
from tableau_audit.reports.markdown import MarkdownReporter
from tableau_audit.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[1]


def test_rules_page_is_generated_from_the_catalogue() -> None:
    expected = MarkdownReporter().render_rules(ALL_RULES)
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "regenerate: tableau-audit rules --format markdown > docs/rules.md"


def test_every_rule_help_link_has_an_anchor_in_the_rules_page() -> None:
    page = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        anchor = rule.help_uri.rsplit("#", 1)[1]
        assert f'<a id="{anchor}"></a>' in page, rule.id


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, lazy ones included (``group.commands`` lists only those imported)."""
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


def test_every_command_has_help() -> None:
    runner = CliRunner()
    commands = _commands(cli)
    assert {"scan", "server", "rules", "baseline", "history"} <= {c[0] for c in commands}
    for path in commands:
        result = runner.invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        assert len(result.output.strip().splitlines()) > 3, path


def test_readme_shows_the_two_setup_commands_first() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = text.split("```", 2)[1]
    assert "make demo" in first_block
    assert "make test" in first_block


def test_configuration_example_is_a_valid_configuration(tmp_path: Path) -> None:
    from tableau_audit.config import load_config

    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = page.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "tableau-audit.toml").write_text(example, encoding="utf-8")
    baseline = '{"findings": [], "schema_version": 1, "tool": "tableau-audit"}\n'
    (tmp_path / ".tableau-audit-baseline.json").write_text(baseline, encoding="utf-8")
    config = load_config(None, cwd=tmp_path)
    assert config.baseline_path == tmp_path / ".tableau-audit-baseline.json"
    assert len(config.suppressions) == 2
    assert config.server.site == "finance"
