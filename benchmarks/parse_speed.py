"""Local audit speed, side by side with py-tbparse in one run (issue 2's benchmark).

Two measurements:

1. **Cold process** on one typical .twbx (and two more): ``tableau-audit scan FILE --format
   json`` against ``py-tbparse audit FILE --format json``, each a fresh process with its report
   on stdout sent to /dev/null, interleaved after warm-up runs; median and p90 wall time. The
   import profile of the same scan (``python -X importtime``) shows which heavy modules load.
   Then the same pair, with fewer runs, on every .twbx of the corpus: the spread.
2. **Whole corpus in one process**: our CLI against ``py-tbparse batch DIR`` (process wall
   time), then, in fresh interpreters and without their import time, the engine with and
   without extracts, py-tbparse's batch function and a bare ``lxml.etree.parse`` of the same
   XML (see :mod:`benchmarks.speed_probe`).

Run ``python -m benchmarks.parse_speed [--write-docs]`` (``make bench`` runs every benchmark).
Timings are never asserted in tests: they depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import statistics
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from benchmarks import env
from benchmarks.timing import (
    ImportProfile,
    ProbeRun,
    Timing,
    import_profile,
    our_command,
    run_probe,
    time_commands,
)

__all__ = [
    "COLD_FILES",
    "CORPUS",
    "OUR_PROBES",
    "PEER_TABLES",
    "cold_commands",
    "main",
    "measure",
    "measure_cold",
    "measure_cold_sweep",
    "measure_corpus",
    "measure_floor",
    "measure_imports",
    "measure_profile",
]

logger = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / ".." / "shared" / "corpus" / "files"
RESULTS = Path(__file__).resolve().parent / "results" / "parse_speed.json"

COLD_FILES = (
    "mchenliu__Tableau_Project_HR_Dashboard__Material_Human_Resources_Dashboard.twbx",
    "ArseneXie__MyTableauPublic__2018_Calendar.twbx",
    "tableau__tableau-mcp__twbs_Superstore.twbx",
)
"""A typical .twbx (1.7 MB: 600 KB of XML, one .hyper, images), a small one with a .hyper
(6 KB) and a large one without extract (1.9 MB)."""

OUR_PROBES = ("ours", "ours-nosample", "ours-xml", "bare")
"""Probes run with the project's interpreter (see :mod:`benchmarks.speed_probe`)."""

PEER_TABLES = ("overview", "field-usage")
"""py-tbparse ``batch`` tables: its default, and the one closest to our field-usage work."""

Figures = dict[str, Any]


OURS_COLD, PEER_COLD = "tableau-audit scan", "py-tbparse audit"


def cold_commands(path: Path, peer: Path | None) -> dict[str, list[str]]:
    """The cold-process commands on one file (ours alone when py-tbparse is absent)."""
    commands = {OURS_COLD: our_command("scan", str(path), "--format", "json")}
    if peer is not None:
        commands[PEER_COLD] = [str(peer), "audit", str(path), "--format", "json"]
    return commands


def measure(
    corpus: Path,
    peer: Path | None,
    *,
    repeat: int,
    corpus_repeat: int,
    sweep_repeat: int = 0,
    cold_files: Sequence[str] = COLD_FILES,
) -> Figures:
    """Every figure of the section, with the machine they were taken on."""
    sweep = []
    if peer is not None and sweep_repeat > 0:
        sweep = measure_cold_sweep(corpus, peer, repeat=sweep_repeat)
    return {
        "machine": machine(peer is not None),
        "cold": measure_cold(corpus, peer, repeat=repeat, files=cold_files),
        "sweep": sweep,
        "floor": measure_floor(repeat=repeat),
        "imports": measure_imports(corpus / cold_files[0]),
        "corpus": measure_corpus(corpus, peer, repeat=corpus_repeat),
        "profile": measure_profile(corpus),
    }


def machine(with_peer: bool) -> dict[str, Any]:
    """Where and with what the figures were taken."""
    from lxml import etree

    from tableau_audit import __version__

    return {
        "date": dt.date.today().isoformat(),
        "nproc": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "tableau_audit": __version__,
        "lxml": ".".join(str(part) for part in etree.LXML_VERSION[:3]),
        "peer": f"{env.PEER} {env.installed_version()}" if with_peer else None,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure_cold(
    corpus: Path, peer: Path | None, *, repeat: int, files: Sequence[str] = COLD_FILES
) -> list[dict[str, Any]]:
    """Cold-process timings of both tools on each of ``files`` found in ``corpus``."""
    rows = []
    for name in files:
        path = corpus / name
        if not path.is_file():
            logger.warning("cold-run file %s not in the corpus; skipped", name)
            continue
        logger.info("cold runs on %s", name)
        timings = time_commands(cold_commands(path, peer), repeat=repeat, warmup=2)
        rows.append({"file": name, "size": path.stat().st_size, "timings": _timings(timings)})
    return rows


def measure_cold_sweep(corpus: Path, peer: Path, *, repeat: int) -> list[dict[str, Any]]:
    """Cold-process medians of both tools on every .twbx of ``corpus`` (fewer runs each).

    Three chosen files say little about "a typical .twbx"; the whole corpus shows the spread,
    and splits it by what costs most: whether the package holds .hyper extracts to sample.
    """
    rows = []
    for path in sorted(corpus.glob("*.twbx")):
        logger.info("cold sweep: %s", path.name)
        timings = time_commands(cold_commands(path, peer), repeat=repeat, warmup=1)
        rows.append(
            {
                "file": path.name,
                "extracts": _hyper_members(path),
                "ours": timings[OURS_COLD].median,
                "peer": timings[PEER_COLD].median,
                "repeat": repeat,
            }
        )
    return rows


def _hyper_members(path: Path) -> int:
    """How many .hyper members the package holds (0 when it is not a readable ZIP)."""
    try:
        with zipfile.ZipFile(path) as package:
            return sum(name.lower().endswith(".hyper") for name in package.namelist())
    except (OSError, zipfile.BadZipFile):
        return 0


def measure_floor(*, repeat: int) -> dict[str, Any]:
    """The interpreter alone (``python -c pass``): the floor under any cold run."""
    timings = time_commands({"python -c pass": [sys.executable, "-c", "pass"]}, repeat=repeat)
    return _timings(timings)["python -c pass"]


def measure_profile(corpus: Path) -> dict[str, Any]:
    """Where our default whole-corpus run spends its time (cProfile, one run)."""
    logger.info("profiling the default engine run")
    return dict(run_probe(sys.executable, "profile", corpus, "ours").data)


def measure_imports(path: Path) -> dict[str, Any]:
    """Import profiles of ``import tableau_audit.cli`` and of a whole scan of ``path``."""
    cli = import_profile([sys.executable, "-c", "import tableau_audit.cli"])
    scan = import_profile(
        [sys.executable, "-m", "tableau_audit", "scan", str(path), "--format", "json"]
    )
    return {"cli": _profile(cli), "scan": _profile(scan), "scan_file": path.name}


def measure_corpus(corpus: Path, peer: Path | None, *, repeat: int) -> dict[str, Any]:
    """Whole-corpus runs: process wall times, then in-process times from the probes."""
    commands = {"tableau-audit scan": our_command("scan", str(corpus), "--format", "json")}
    if peer is not None:
        for table in PEER_TABLES:
            commands[f"py-tbparse batch {table}"] = [str(peer), "batch", str(corpus), table]
    logger.info("whole-corpus processes (%d runs each)", repeat)
    process = time_commands(commands, repeat=repeat, warmup=1)
    probes: dict[str, list[ProbeRun]] = {}
    for round_ in range(repeat):
        logger.info("in-process probes, round %d/%d", round_ + 1, repeat)
        for kind in OUR_PROBES:
            probes.setdefault(kind, []).append(run_probe(sys.executable, kind, corpus))
        if peer is not None:
            for table in PEER_TABLES:
                run = run_probe(env.peer_python(), "peer", corpus, table)
                probes.setdefault(f"peer {table}", []).append(run)
    return {
        "process": _timings(process),
        "probes": {label: _probe_summary(runs) for label, runs in probes.items()},
    }


def _timings(timings: Mapping[str, Timing]) -> dict[str, dict[str, Any]]:
    return {
        label: {"median": t.median, "p90": t.p90, "min": min(t.samples), "samples": t.samples}
        for label, t in timings.items()
    }


def _profile(profile: ImportProfile) -> dict[str, Any]:
    return {
        "total_ms": profile.total_us / 1000,
        "top": [(name, us / 1000) for name, us in profile.top],
        "heavy": profile.heavy,
    }


def _median(runs: Sequence[ProbeRun], key: str) -> float | None:
    values = [float(run.data[key]) for run in runs if run.data.get(key) is not None]
    return statistics.median(values) if values else None


def _probe_summary(runs: Sequence[ProbeRun]) -> dict[str, Any]:
    first = runs[0].data
    return {
        "run_s": _median(runs, "run_s"),
        "run_s_all": [float(run.data["run_s"]) for run in runs],
        "import_s": _median(runs, "import_s"),
        "parse_s": _median(runs, "parse_s"),
        "wall_s": statistics.median(run.wall_s for run in runs),
        "handled": first.get("handled", {}),
        "skipped": first.get("skipped", {}),
        "findings": first.get("findings"),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, save ``benchmarks/results/parse_speed.json`` and optionally update the docs."""
    from benchmarks import speed_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="folder of Tableau files")
    parser.add_argument("--repeat", type=int, default=15, help="cold runs per command")
    parser.add_argument("--corpus-repeat", type=int, default=5, help="whole-corpus runs")
    parser.add_argument(
        "--sweep-repeat", type=int, default=3, help="cold runs per corpus .twbx (0: no sweep)"
    )
    parser.add_argument("--no-peer", action="store_true", help="measure without py-tbparse")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if not args.corpus.is_dir():
        logger.error("corpus folder %s not found", args.corpus)
        return 2
    try:
        peer = None if args.no_peer else env.ensure_env()
        figures = measure(
            args.corpus.resolve(),
            peer,
            repeat=args.repeat,
            corpus_repeat=args.corpus_repeat,
            sweep_repeat=args.sweep_repeat,
        )
    except RuntimeError as error:
        logger.error("%s", error)
        return 2
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    section = speed_report.render(figures)
    sys.stdout.write(section + "\n")
    if args.write_docs:
        speed_report.write_docs(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
