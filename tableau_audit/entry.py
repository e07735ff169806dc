"""The console script (and ``python -m tableau_audit``): prepare the process, then run the CLI.

Two things are done before the CLI is imported, both for a fast cold start (issue 2):

* the garbage collector is told to run less often (:func:`collect_less_often`);
* importing the CLI takes ~50 ms before click can parse the command line, and a ``scan`` of a
  file that holds an extract then waits for the Hyper API import and hyperd's start (~50 ms
  more). So the command line is glanced at first: when it scans a file that looks like it holds
  an extract (:func:`~tableau_audit.hyperd.may_hold_extract`), hyperd starts on a thread while
  the CLI imports (:func:`~tableau_audit.hyperd.start_early`). The glance is only a hint: click
  still parses everything, and a wrong guess (or an early start that fails) costs time, never
  a result.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["collect_less_often", "main", "reads_extracts"]

logger = logging.getLogger(__name__)

_HELP = frozenset({"-h", "--help"})
GC_YOUNGEST_THRESHOLD = 50_000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""
GLANCED_PATHS = 8
"""At most this many paths are looked at (64 KB each at most): a pre-commit run may pass
hundreds of files, and the guess must stay cheap."""


def main() -> None:
    """Entry point of the ``tableau-audit`` console script."""
    collect_less_often()
    if reads_extracts(sys.argv[1:]):
        from tableau_audit.hyperd import start_early

        try:
            start_early()
        except Exception as error:  # an optimisation only: the run starts hyperd itself
            logger.debug("starting hyperd early failed (%s)", type(error).__name__)
    from tableau_audit.cli import main as run_cli

    run_cli()


def collect_less_often() -> None:
    """Run the cyclic garbage collector's youngest generation every 50,000 allocations, not 700.

    A start-up creates ~100,000 objects that live as long as the process (modules, classes,
    the workbook model), and the default collector scans them again and again while they are
    made: ~10 ms of a cold one-file scan (issue 2). Cycles are still collected (mypy raises
    the same threshold further); the older generations keep their default rhythm.
    """
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNGEST_THRESHOLD, middle, oldest)


def reads_extracts(args: Sequence[str]) -> bool:
    """Whether ``args`` scan a file that looks like it holds a .hyper extract.

    Directories are not walked (that would be work done twice): the engine starts hyperd once
    it meets an extract, as it always does.
    """
    if not args or args[0] != "scan" or _HELP.intersection(args):
        return False
    from tableau_audit.hyperd import may_hold_extract

    candidates = [arg for arg in args[1:] if not arg.startswith("-")][:GLANCED_PATHS]
    return any(may_hold_extract(Path(arg)) for arg in candidates)
