"""Run every benchmark, or one: ``python -m benchmarks.run [--only NAME] [ARGS...]``.

``make bench`` calls this. Each benchmark is a module with a ``main(argv) -> int``; options not
known here (for example ``--write-docs``) are handed to each benchmark run. The registry below is
explicit: a new benchmark joins by adding one line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
from collections.abc import Callable, Sequence
from typing import cast

__all__ = ["BENCHMARKS", "main"]

logger = logging.getLogger(__name__)

BENCHMARKS: dict[str, str] = {
    "parse-speed": "benchmarks.parse_speed",
    "labelled-columns": "benchmarks.labelled_columns",
    "server": "benchmarks.server_speed",
    "nightly": "benchmarks.nightly_speed",
    "extract-speed": "benchmarks.extract_speed",
}
"""Benchmark name → module holding its ``main(argv) -> int``, imported only when run."""


def _entry(module: str) -> Callable[[Sequence[str]], int]:
    return cast("Callable[[Sequence[str]], int]", importlib.import_module(module).main)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks in order; the exit code is the worst one they return."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append", help="NAME")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args, rest = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.list:
        for name, module in BENCHMARKS.items():
            logger.info("%s (%s)", name, module)
        return 0
    worst = 0
    for name in args.only or list(BENCHMARKS):
        logger.info("== %s", name)
        code = _entry(BENCHMARKS[name])(rest)
        if code:
            logger.error("%s exited with %d", name, code)
        worst = max(worst, code)
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
