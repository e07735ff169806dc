"""Timing primitives for the speed benchmarks: interleaved cold-process runs, percentiles,
``-X importtime`` profiles and :mod:`benchmarks.speed_probe` runs in fresh interpreters.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "HEAVY_MODULES",
    "PYCACHE",
    "ImportProfile",
    "ProbeRun",
    "Timing",
    "bench_environment",
    "import_profile",
    "our_command",
    "parse_importtime",
    "percentile",
    "run_probe",
    "time_commands",
]

PROBE = Path(__file__).resolve().with_name("speed_probe.py")
PYCACHE = Path(__file__).resolve().parent / "results" / "pycache"
"""Bytecode cache of every measured process (git-ignored), filled by the warm-up runs."""

HEAVY_MODULES = (
    "tableauhyperapi",
    "tableauserverclient",
    "requests",
    "jinja2",
    "phonenumbers",
    "rich",
    "pandas",
)
"""Modules whose presence in a scan's import profile is worth reporting."""

OK_EXIT_CODES = (0, 1)
"""Both tools exit 1 when they report findings at or above their threshold."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """Wall times of one command, in seconds, in the order they ran."""

    label: str
    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)

    @property
    def p90(self) -> float:
        """The 90th percentile (nearest rank)."""
        return percentile(self.samples, 90)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportProfile:
    """What ``python -X importtime`` says about one command."""

    total_us: int
    """Sum of the top-level (cumulative) import times, in microseconds."""
    top: tuple[tuple[str, int], ...]
    """The most expensive top-level imports: (module, cumulative µs), slowest first."""
    heavy: tuple[str, ...]
    """Which of :data:`HEAVY_MODULES` were imported at all."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRun:
    """One run of :mod:`benchmarks.speed_probe`: its process wall time and its JSON answer."""

    wall_s: float
    data: Mapping[str, Any] = field(default_factory=dict)


def bench_environment(pycache: Path = PYCACHE) -> dict[str, str]:
    """The environment of every measured process: bytecode caching on, in ``pycache``.

    A pip-installed tool (py-tbparse) ships compiled bytecode, while our editable install only
    has sources; with ``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines) every cold run of
    ours would compile every module again. One private cache for both tools, filled by the
    warm-up runs, measures both as installed.
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(pycache)
    return environment


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0 < q <= 100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def time_commands(
    commands: Mapping[str, Sequence[str]], *, repeat: int, warmup: int = 2
) -> dict[str, Timing]:
    """Run each command ``warmup`` + ``repeat`` times, interleaved; keep the timed runs.

    Interleaving spreads background load on a shared machine evenly over the commands. A run
    exiting with anything but 0 or 1 raises ``RuntimeError``: a crash is not a timing.
    """
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for round_ in range(warmup + repeat):
        for label, command in commands.items():
            elapsed = _timed_run(label, command)
            if round_ >= warmup:
                samples[label].append(elapsed)
    return {label: Timing(label=label, samples=tuple(s)) for label, s in samples.items()}


def _timed_run(label: str, command: Sequence[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
        timeout=900,
        env=bench_environment(),
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in OK_EXIT_CODES:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
        raise RuntimeError(f"{label}: exit code {done.returncode} {tail}")
    return elapsed


def our_command(*args: str) -> list[str]:
    """``tableau-audit ARGS`` from the interpreter running the benchmark (the project's venv)."""
    script = Path(sys.executable).with_name("tableau-audit")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "tableau_audit", *args]


def import_profile(command: Sequence[str], *, top: int = 8) -> ImportProfile:
    """Run ``command`` (a Python ``-m``/``-c`` invocation) under ``-X importtime``."""
    python, *rest = command
    done = subprocess.run(
        [python, "-X", "importtime", *rest],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=300,
        env=bench_environment(),
    )
    if done.returncode not in OK_EXIT_CODES:
        raise RuntimeError(f"importtime run failed with exit code {done.returncode}")
    return parse_importtime(done.stderr, top=top)


def parse_importtime(stderr: str, *, top: int = 8) -> ImportProfile:
    """Read ``import time: self | cumulative | name`` lines; top level = no indentation."""
    top_level: list[tuple[str, int]] = []
    loaded: set[str] = set()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, raw_name = line.removeprefix("import time:").split("|", 2)
        name = raw_name.rstrip()
        loaded.add(name.strip().split(".", 1)[0])
        if not name.startswith("  "):  # NOTE: one space follows the bar; nesting adds two
            top_level.append((name.strip(), int(cumulative)))
    ranked = sorted(top_level, key=lambda item: -item[1])
    return ImportProfile(
        total_us=sum(us for _, us in top_level),
        top=tuple(ranked[:top]),
        heavy=tuple(m for m in HEAVY_MODULES if m in loaded),
    )


def run_probe(python: Path | str, kind: str, directory: Path, *extra: str) -> ProbeRun:
    """Run one :mod:`benchmarks.speed_probe` measurement in a fresh interpreter."""
    command = [str(python), str(PROBE), kind, str(directory), *extra]
    start = time.perf_counter()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
        env=bench_environment(),
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:]
        raise RuntimeError(f"probe {kind}: exit code {done.returncode} {tail}")
    return ProbeRun(wall_s=wall, data=json.loads(done.stdout.strip().splitlines()[-1]))
