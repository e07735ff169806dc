"""Option bundles shared by the commands (sqlite-utils style): one definition, many commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tableau_audit.findings import Severity
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.targets import FormatSpec

if TYPE_CHECKING:
    from tableau_audit.config import AuditConfig

F = TypeVar("F", bound=Callable[..., Any])


def output_options(func: F) -> F:
    """``--format``, ``--output`` and ``--color/--no-color``."""
    func = click.option(
        "--color/--no-color",
        default=None,
        help="Colour the console report [default: only when stdout is a terminal].",
    )(func)
    func = click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report to FILE (atomically) instead of stdout (one --format only).",
    )(func)
    return click.option(
        "--format",
        "-f",
        "fmt",
        type=FormatSpec(REPORTERS),
        multiple=True,
        help=f"Report format ({', '.join(sorted(REPORTERS))}); FMT:PATH writes it to PATH. "
        "Repeatable, each with its own PATH [default: console].",
    )(func)


def config_options(func: F) -> F:
    """``--config`` and ``--sample-size``: how items are analysed (scan, server, baseline)."""
    func = click.option(
        "--sample-size",
        type=click.IntRange(min=0),
        metavar="N",
        help="Values read per extract column to classify it; 0 reads none and classifies by "
        "name only (faster) [default: 1000, or the config's].",
    )(func)
    return click.option(
        "--config",
        "config_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Configuration file [default: tableau-audit.toml or pyproject.toml, searched "
        "upwards].",
    )(func)


def analysis_options(func: F) -> F:
    """``--fail-on`` plus :func:`config_options` (scan and server)."""
    func = config_options(func)
    return click.option(
        "--fail-on",
        type=click.Choice([s.label for s in Severity], case_sensitive=False),
        help="Exit 1 when a finding is at or above this severity [default: high, or the config's].",
    )(func)


def verbose_option(func: F) -> F:
    """``-v`` (INFO) / ``-vv`` (DEBUG) logging to stderr."""
    return click.option(
        "-v", "--verbose", count=True, help="Log progress to stderr (-v info, -vv debug)."
    )(func)


def load_run_config(
    config_path: Path | None, *, sample_size: int | None, fail_on: str | None = None
) -> AuditConfig:
    """The configuration a run's options describe: the file's, then ``--sample-size`` and
    ``--fail-on`` over it (scan, server, baseline create)."""
    import dataclasses

    from tableau_audit.config import load_config
    from tableau_audit.rules import ALL_RULES

    config = load_config(config_path, cwd=Path.cwd(), known_rules=[r.id for r in ALL_RULES])
    if fail_on is not None:
        config = dataclasses.replace(config, fail_on=Severity.parse(fail_on))
    if sample_size is not None:
        policy = dataclasses.replace(config.policy, sample_size=sample_size)
        config = dataclasses.replace(config, policy=policy)
    return config
