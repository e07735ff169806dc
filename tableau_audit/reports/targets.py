"""Where each report goes: ``--format FMT[:PATH]`` (repeatable) and ``--output FILE``.

Each ``--format`` names its own destination, so a format can never be paired with another
format's file (click cannot pair two repeatable options by position reliably):

- ``--format sarif:out.sarif --format junit:junit.xml --format console``: two files and stdout;
- ``--format json --output out.json``: the single-format form, kept for compatibility;
- ``PATH`` ``-`` means stdout.

Ambiguous combinations are refused with a message saying what to write instead: ``--output``
with several formats (or with a format that has its own path), two formats on stdout, and two
formats writing the same file.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tableau_audit.records import frozen

DEFAULT_FORMAT = "console"
STDOUT = "-"


@frozen
class ReportTarget:
    """One report to write: a format and its file (None: stdout)."""

    format: str
    path: Path | None = None


def parse_format(text: str, known: Collection[str]) -> ReportTarget:
    """Parse one ``--format`` value, ``FMT`` or ``FMT:PATH``; ``ValueError`` says what is wrong.

    The split is at the first ``:``: format names have none, so ``sarif:C:\\out.sarif`` works.
    """
    name, sep, path = text.partition(":")
    name = name.strip().lower()
    if name not in known:
        choices = ", ".join(sorted(known))
        raise ValueError(f"unknown format {name!r} (expected one of: {choices})")
    if not sep:
        return ReportTarget(format=name)
    if not path:
        raise ValueError(f"{text!r}: give a file after ':' (or '-' for stdout)")
    return ReportTarget(format=name, path=None if path == STDOUT else Path(path))


def plan_targets(targets: Sequence[ReportTarget], output: Path | None) -> tuple[ReportTarget, ...]:
    """The reports of one run, checked for ambiguity; ``ValueError`` explains a conflict."""
    if output is not None:
        if len(targets) > 1 or any(t.path is not None for t in targets):
            raise ValueError(
                "--output goes with a single --format that has no path; with several formats "
                "give each its own file: --format FMT:PATH"
            )
        name = targets[0].format if targets else DEFAULT_FORMAT
        return (ReportTarget(format=name, path=output),)
    if not targets:
        return (ReportTarget(format=DEFAULT_FORMAT),)
    on_stdout = [t.format for t in targets if t.path is None]
    if len(on_stdout) > 1:
        raise ValueError(
            f"formats {', '.join(on_stdout)} would all write to stdout; give all but one a "
            "file: --format FMT:PATH"
        )
    seen: dict[str, str] = {}
    for target in targets:
        if target.path is None:
            continue
        key = os.path.normcase(os.path.abspath(target.path))
        if key in seen:
            raise ValueError(
                f"formats {seen[key]} and {target.format} would both write {target.path}"
            )
        seen[key] = target.format
    return tuple(targets)


if TYPE_CHECKING:
    _ParamType = click.ParamType[ReportTarget, str]
else:  # NOTE: click < 8.2 has no generic ParamType
    _ParamType = click.ParamType


class FormatSpec(_ParamType):
    """click type of a repeatable ``--format``: ``FMT`` or ``FMT:PATH``."""

    name = "FMT[:PATH]"

    def __init__(self, known: Collection[str]) -> None:
        self.known = tuple(sorted(known))

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> ReportTarget:
        """Parse one value; an unknown format or an empty path is a usage error (exit 2)."""
        if isinstance(value, ReportTarget):
            return value
        try:
            return parse_format(str(value), self.known)
        except ValueError as error:
            self.fail(str(error), param, ctx)


def report_targets(
    formats: Sequence[ReportTarget], output: Path | None
) -> tuple[ReportTarget, ...]:
    """:func:`plan_targets` for the CLI: a conflict is a usage error (exit 2)."""
    try:
        return plan_targets(formats, output)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
