"""``tableau-audit baseline``: record today's findings, so a gate fails on new ones only.

``baseline create FILE [PATH...]`` audits like ``scan`` (same configuration, suppressions
applied) and writes every remaining finding's fingerprint to FILE (see
:mod:`tableau_audit.baseline`: hashes and rule ids, never values or messages).
``scan --baseline FILE`` (the :func:`baseline_option` below, or ``baseline = "FILE"`` in the
configuration) then reports the recorded findings as ``baseline`` and gates on the others.

Only click, the standard library and the CLI's shared options are imported at module level:
``cli.py`` registers this group at import time, and ``tableau-audit --help`` must stay fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tableau_audit.cli_options import config_options, load_run_config, verbose_option

if TYPE_CHECKING:
    from tableau_audit.config import AuditConfig

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["baseline", "baseline_option", "use_baseline"]


def baseline_option(func: F) -> F:
    """``--baseline FILE``: findings recorded in FILE are reported but do not gate."""
    return click.option(
        "--baseline",
        "baseline_path",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Report findings recorded in FILE (`tableau-audit baseline create`) as known and "
        "fail only on new ones [default: the configuration's `baseline`, if any].",
    )(func)


def use_baseline(config: AuditConfig, path: Path | None) -> AuditConfig:
    """``config`` with the accepted findings of ``path``, else of the configuration's file."""
    from tableau_audit.baseline import load_baseline

    chosen = path if path is not None else config.baseline_path
    if chosen is None:
        return config
    return dataclasses.replace(config, baseline=load_baseline(chosen))


@click.group("baseline")
def baseline() -> None:
    """Record accepted findings so that `scan --baseline FILE` fails on new ones only."""


@baseline.command("create", short_help="Record the current findings in FILE.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument(
    "paths", nargs=-1, metavar="[PATH]...", type=click.Path(exists=True, path_type=Path)
)
@config_options
@verbose_option
def create(
    file: Path,
    paths: tuple[Path, ...],
    config_path: Path | None,
    sample_size: int | None,
    verbose: int,
) -> None:
    """Audit PATH... (default: the current directory) and write its findings to FILE.

    FILE holds fingerprints, rule ids and hashed item identities, never values or messages.
    Run `scan --baseline FILE` with the same paths (as written here) to gate on new findings.
    """
    from tableau_audit import cli as main

    main.setup_logging(verbose)
    with main.cli_errors():
        from tableau_audit.baseline import baseline_from_result, dump_baseline
        from tableau_audit.engine import audit
        from tableau_audit.errors import ReportError

        config = load_run_config(config_path, sample_size=sample_size)
        # NOTE: record every current finding, also those an older baseline already holds.
        config = dataclasses.replace(config, baseline=None)
        result = audit(paths or (Path(),), config)
        if not result.complete:
            raise main.CliError("the run is incomplete; no baseline written")
        recorded = baseline_from_result(result)
        try:
            main.write_atomic(file, dump_baseline(recorded))
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise ReportError(f"{file}: cannot write the baseline ({reason})") from error
    items = len({entry.item for entry in recorded.entries})
    click.echo(
        f"tableau-audit: baseline {file} records {len(recorded.entries)} finding(s) "
        f"in {items} item(s)",
        err=True,
    )
