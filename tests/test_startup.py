"""Cold start: which modules a process loads (issue 2's benchmark: heavy imports stay lazy).

Each check runs a fresh interpreter, because this test process has long since imported
everything. The sets are exact where they can be: a new eager import of a heavy library, or of
every report format, fails here before it shows up as lost milliseconds in the benchmark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tableau_audit.reports import REPORTERS, CatalogueReporter, catalogue_formats
from tests.fresh_python import REPO, run_python
from tests.test_cli import _twb

HEAVY = (
    "jinja2",
    "requests",
    "markupsafe",
    "phonenumbers",
    "rich",
    "sqlite3",
    "tableauhyperapi",
    "tableauserverclient",
)
"""Libraries a JSON scan of a .twb has no use for."""

SERVER_ONLY = (
    "difflib",
    "tableau_audit.changes",
    "tableau_audit.cli_history",
    "tableau_audit.cli_server",
    "tableau_audit.engine_server",
    "tableau_audit.exposure",
    "tableau_audit.history",
    "tableau_audit.history_store",
    "tableau_audit.notify",
    "tableau_audit.sources.cache",
    "tableau_audit.sources.interface",
    "tableau_audit.sources.server",
)
"""Modules of the server, history and notification paths (and a misspelt config's hint)."""

VALUES_ONLY = (
    "tableau_audit.classify.freetext",
    "tableau_audit.classify.phone_gate",
    "tableau_audit.classify.scoring",
    "tableau_audit.classify.validators",
    "tableau_audit.classify.values",
)
"""The value validators: only a run that sampled extract values needs them."""


def _loaded_after(code: str) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter; the heavy, report and server modules it left loaded."""
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = sorted(m for m in sys.modules if m in {HEAVY!r})\n"
        "reports = sorted(m for m in sys.modules if m.startswith('tableau_audit.reports.'))\n"
        f"server = sorted(m for m in sys.modules if m in {SERVER_ONLY!r})\n"
        f"values = sorted(m for m in sys.modules if m in {VALUES_ONLY!r})\n"
        "print(json.dumps({'heavy': heavy, 'reports': reports, 'server': server,"
        " 'values': values}))\n"
    )
    loaded: dict[str, list[str]] = json.loads(_last_line(probe))
    return loaded


def _last_line(code: str) -> str:
    """The last line ``code`` prints in a fresh interpreter."""
    return run_python(code).stdout.splitlines()[-1]


def test_importing_the_cli_loads_no_heavy_library_and_no_report_format() -> None:
    loaded = _loaded_after("import tableau_audit.cli")
    assert loaded == {
        "heavy": [],
        "reports": ["tableau_audit.reports.interface", "tableau_audit.reports.targets"],
        "server": [],
        "values": [],
    }


def test_the_console_entry_and_the_early_hyperd_start_load_nothing_of_the_audit() -> None:
    """The early start must begin before the CLI's ~50 ms of imports, so it imports none of them."""
    probe = (
        "import json, sys\n"
        "import tableau_audit.entry, tableau_audit.hyperd\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(('tableau', 'click',"
        " 'lxml', 'phonenumbers')))))"
    )
    assert json.loads(_last_line(probe)) == [
        "tableau_audit",
        "tableau_audit.entry",
        "tableau_audit.hyperd",
    ]


def test_a_json_scan_of_a_twb_loads_only_the_json_format(tmp_path: Path) -> None:
    workbook = tmp_path / "orders.twb"
    workbook.write_text(_twb(("Region", "SSN"), used=("Region",)), encoding="utf-8")
    report = tmp_path / "report.json"
    code = (
        "from tableau_audit.cli import main\n"
        "try:\n"
        f"    main(['scan', {str(workbook)!r}, '--format', 'json', '--output', {str(report)!r}])\n"
        "except SystemExit:\n"
        "    pass"
    )
    loaded = _loaded_after(code)
    assert json.loads(report.read_text(encoding="utf-8"))["workbooks"][0]["name"] == "orders"
    assert loaded["heavy"] == []
    assert loaded["reports"] == [
        "tableau_audit.reports.interface",
        "tableau_audit.reports.json",
        "tableau_audit.reports.targets",
    ]
    assert loaded["values"] == []  # no extract, so no value was sampled
    # NOTE: nor the change views (or tableau_audit.changes): they render --history runs only.
    # (--output, not -o: click tries every short option as a long one first, and its
    # "no such option" error imports difflib for a suggestion.)
    assert loaded["server"] == []


def test_the_help_lists_the_lazy_commands_without_importing_them() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from tableau_audit.cli import cli\n"
        "out = CliRunner().invoke(cli, ['--help']).output\n"
        "assert 'server    Audit a Tableau Server / Cloud site' in out, out\n"
        "assert 'history   List past runs of a nightly audit' in out, out"
    )
    assert _loaded_after(code)["server"] == []


def test_lazy_command_summaries_are_the_commands_own_help() -> None:
    from tableau_audit.cli import LAZY_COMMANDS, cli

    for name, lazy in LAZY_COMMANDS.items():
        command = cli.get_command(click.Context(cli), name)
        assert command is not None
        assert (command.name, command.help) == (name, lazy.summary)
    assert set(LAZY_COMMANDS) == {"history", "server"}


def test_format_names_come_without_importing_any_format() -> None:
    code = (
        "from tableau_audit.reports import REPORTERS, catalogue_formats\n"
        "names = (sorted(REPORTERS), len(REPORTERS), 'json' in REPORTERS, catalogue_formats())"
    )
    assert _loaded_after(code)["reports"] == ["tableau_audit.reports.interface"]


def test_every_reporter_is_registered_under_its_own_name() -> None:
    assert {name: REPORTERS[name].name for name in REPORTERS} == {
        "console": "console",
        "csv": "csv",
        "html": "html",
        "json": "json",
        "junit": "junit",
        "markdown": "markdown",
        "sarif": "sarif",
    }


def test_catalogue_formats_are_exactly_the_catalogue_reporters() -> None:
    renders_rules = {n for n in REPORTERS if isinstance(REPORTERS[n], CatalogueReporter)}
    assert set(catalogue_formats()) == renders_rules == {"console", "json", "markdown"}


def test_reporters_is_read_only_and_one_instance_per_format() -> None:
    assert REPORTERS["json"] is REPORTERS["json"]
    assert "pdf" not in REPORTERS
    with pytest.raises(KeyError):
        REPORTERS["pdf"]
    with pytest.raises(TypeError):
        REPORTERS["pdf"] = REPORTERS["json"]  # type: ignore[index]


def test_the_console_entry_ends_with_the_report_flushed_and_the_exit_code(tmp_path: Path) -> None:
    # main() without argv leaves through os._exit: stdout, stderr and the code must survive it.
    workbook = tmp_path / "orders.twb"
    workbook.write_text(_twb(("Region", "SSN"), used=("Region",)), encoding="utf-8")
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "tableau_audit", "scan", str(workbook), "--format", "json"]
    to_file = ("--output", str(report), "--fail-on", "info", "-v")
    runs = [
        subprocess.run([*command, *extra], capture_output=True, text=True, cwd=REPO, timeout=120)
        for extra in ((), to_file)
    ]
    assert [done.returncode for done in runs] == [0, 1]
    assert json.loads(runs[0].stdout) == json.loads(report.read_text(encoding="utf-8"))
    assert (runs[0].stderr, runs[1].stdout) == ("", "")
    assert f"INFO tableau_audit.cli: report written to {report}" in runs[1].stderr
