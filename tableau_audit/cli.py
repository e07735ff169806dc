"""Command-line interface (thin: options -> AuditConfig -> engine -> reporter -> exit code).

Exit codes: 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 usage or
configuration error, or the run could not proceed. Errors are one line on stderr, never a
traceback (the traceback is logged at DEBUG, ``-vv``). The engine, the rules and the heavy
Tableau libraries are imported inside the commands so that ``--help`` and ``--version`` are fast.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import logging
import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from tableau_audit import __version__
from tableau_audit.cli_baseline import baseline, baseline_option, use_baseline
from tableau_audit.cli_options import (
    analysis_options,
    load_run_config,
    output_options,
    verbose_option,
)
from tableau_audit.errors import ReportError, TableauAuditError, traceback_without_message
from tableau_audit.findings import AuditResult, Severity
from tableau_audit.records import frozen
from tableau_audit.reports import REPORTERS, CatalogueReporter, catalogue_formats
from tableau_audit.reports.targets import ReportTarget, report_targets

logger = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


class CliError(click.ClickException):
    """A one-line error that ends the run with exit code 2."""

    exit_code = EXIT_ERROR


def write_reports(
    result: AuditResult,
    targets: Sequence[ReportTarget],
    *,
    color: bool | None,
    fail_on: Severity,
) -> None:
    """Render every report first (a failing format writes nothing), then write each one."""
    texts = [
        REPORTERS[t.format].render(result, color=use_color(color, t.path), fail_on=fail_on)
        for t in targets
    ]
    for target, text in zip(targets, texts, strict=True):
        emit(text, target.path)


@frozen
class LazyCommand:
    """A command whose module is imported only when the command runs (or its help shows)."""

    module: str
    """The module that defines the command and registers it on :data:`cli` when imported."""
    summary: str
    """The command's help text (its docstring), for ``tableau-audit --help``."""


LAZY_COMMANDS: Mapping[str, LazyCommand] = {
    "history": LazyCommand(
        module="tableau_audit.cli_history",
        summary="List past runs of a nightly audit: status, items, findings, "
        "new/resolved and trend.",
    ),
    "server": LazyCommand(
        module="tableau_audit.cli_server",
        summary="Audit a Tableau Server / Cloud site: content, permissions and download rights.",
    ),
}
"""Server-side commands: a local ``scan`` never imports them (cold start, issue 2)."""


class LazyGroup(click.Group):
    """A group that imports the modules of :data:`LAZY_COMMANDS` only on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command, loaded or not, sorted by name."""
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, importing its module first when it is a lazy one."""
        if cmd_name in LAZY_COMMANDS and cmd_name not in self.commands:
            importlib.import_module(LAZY_COMMANDS[cmd_name].module)  # registers itself
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, without importing the lazy commands."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._short_help(name, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _short_help(self, name: str, limit: int) -> str:
        # NOTE: a stand-in command shortens the summary exactly as click shortens a docstring.
        command = self.commands.get(name) or click.Command(name, help=LAZY_COMMANDS[name].summary)
        return command.get_short_help_str(limit)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="tableau-audit")
def cli() -> None:
    """Audit Tableau workbooks for confidential data and stored secrets."""


cli.add_command(baseline)


@cli.command()
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    metavar="PATH...",
    type=click.Path(exists=True, path_type=Path),
)
@output_options
@analysis_options
@baseline_option
@verbose_option
def scan(
    paths: tuple[Path, ...],
    fmt: tuple[ReportTarget, ...],
    output: Path | None,
    color: bool | None,
    fail_on: str | None,
    config_path: Path | None,
    verbose: int,
    sample_size: int | None,
    baseline_path: Path | None,
) -> None:
    """Audit local .twb/.twbx/.tds/.tdsx/.hyper files and directories (recursively)."""
    targets = report_targets(fmt, output)
    setup_logging(verbose)
    with cli_errors():
        from tableau_audit.engine import audit

        config = load_run_config(config_path, sample_size=sample_size, fail_on=fail_on)
        config = use_baseline(config, baseline_path)
        result = audit(paths, config)
        write_reports(result, targets, color=color, fail_on=config.fail_on)
    code = exit_code(result, config.fail_on)
    if not result.complete:
        click.echo("tableau-audit: the run is incomplete; see the report", err=True)
    click.get_current_context().exit(code)


@cli.command("rules")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(catalogue_formats()),
    default="console",
    show_default=True,
    help="Catalogue format.",
)
@click.option("--color/--no-color", default=None, help="Colour the table [default: on a terminal].")
def rules_command(fmt: str, color: bool | None) -> None:
    """List every rule: id, name, default severity and summary."""
    with cli_errors():
        from tableau_audit.rules import ALL_RULES

        reporter = REPORTERS[fmt]
        if not isinstance(reporter, CatalogueReporter):  # catalogue_formats() filtered the choice
            raise ReportError(f"format {fmt!r} cannot render the rule catalogue")
        emit(reporter.render_rules(ALL_RULES, color=use_color(color, None)), None)


def exit_code(result: AuditResult, fail_on: Severity) -> int:
    """0 nothing at or above ``fail_on``; 1 findings at or above it; 2 the run is incomplete."""
    if not result.complete:
        return EXIT_ERROR
    worst = result.max_severity
    return EXIT_FINDINGS if worst is not None and worst >= fail_on else EXIT_OK


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Turn every error into one line on stderr and exit code 2; never a traceback."""
    try:
        yield
    except click.ClickException:
        raise
    except TableauAuditError as error:
        raise CliError(_one_line(str(error))) from error
    except KeyboardInterrupt as error:
        raise CliError("interrupted") from error
    except Exception as error:
        # NOTE: the message of an unexpected exception may quote input; show only its type.
        logger.debug("internal error\n%s", traceback_without_message(error))
        name = type(error).__name__
        raise CliError(f"internal error ({name}); run with -vv for the traceback") from error


def _one_line(message: str) -> str:
    return " ".join(message.splitlines())


def use_color(flag: bool | None, output: Path | None) -> bool:
    """Explicit ``--color/--no-color`` wins; else colour only on a terminal without NO_COLOR."""
    if flag is not None:
        return flag
    if output is not None or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def emit(text: str, output: Path | None) -> None:
    """Write the report to ``output`` atomically, or to stdout."""
    if output is None:
        # color=True: never strip; reporters only emit ANSI codes when asked to.
        click.echo(text, nl=False, color=True)
        return
    try:
        write_atomic(output, text)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ReportError(f"{output}: cannot write the report ({reason})") from error
    logger.info("report written to %s", output)


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and a rename: never a half-written file.

    A target that exists and is not a regular file (``/dev/null``, a FIFO, a terminal) is
    written in place: renaming over it would replace the device or pipe with a regular file.
    """
    if _exists_as_special_file(path):
        with path.open("w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        return
    import tempfile  # NOTE: only for -o; a report on stdout does not pay for its import

    mode = _target_mode(path)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise


def _exists_as_special_file(path: Path) -> bool:
    """True when ``path`` (or what a symlink there points to) exists and is not a regular file."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except OSError:  # absent or unreadable: the atomic path creates it or reports the error
        return False


def _target_mode(path: Path) -> int:
    """Keep an existing report's mode; a new one gets the usual ``0o666 & ~umask``."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def setup_logging(verbose: int) -> None:
    """Log the package's messages to stderr: WARNING, ``-v`` INFO, ``-vv`` DEBUG."""
    level = logging.WARNING if verbose <= 0 else logging.INFO if verbose == 1 else logging.DEBUG
    package_logger = logging.getLogger("tableau_audit")
    for handler in list(package_logger.handlers):
        if getattr(handler, "tableau_audit_cli", False):  # from an earlier call (tests)
            package_logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.tableau_audit_cli = True  # type: ignore[attr-defined]
    package_logger.addHandler(handler)
    package_logger.setLevel(level)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``tableau-audit`` console script.

    Run as the process itself (``argv`` not given), it ends through :func:`_leave`; called with
    ``argv`` (tests, embedding) it raises ``SystemExit`` as click does.
    """
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="tableau-audit")
    except SystemExit as done:
        if argv is None and (done.code is None or isinstance(done.code, int)):
            _leave(done.code or 0)
        raise


def _leave(code: int) -> None:
    """End the process now: exit handlers run and output is flushed, the interpreter's own
    teardown (freeing every module and object, ~20 ms of a one-file scan) is skipped.

    NOTE: only when no other non-daemon thread is alive (the engine has joined its workers and
    closed hyperd by then); otherwise the normal exit waits for them. A failed flush (a closed
    pipe) also falls back to the normal exit, which reports it as Python does.
    """
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not thread.daemon for thread in others):
        return
    atexit._run_exitfuncs()  # logging.shutdown() among them: handlers are flushed
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)
