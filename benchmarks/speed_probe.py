"""One timed measurement in a fresh interpreter; prints one JSON object on stdout.

Run as a script (``python benchmarks/speed_probe.py KIND DIR``) by :mod:`benchmarks.parse_speed`,
under either virtualenv: the top level imports only the standard library, and each kind imports
its tool inside its function (tableau-audit, lxml or py-tbparse). Times exclude the interpreter
start and the imports (reported apart as ``import_s``) and include reading the files.

Kinds:
- ``ours DIR``: ``tableau_audit.engine.audit([DIR], AuditConfig())``, the default run, which
  opens every .hyper (standalone and packaged) with one hyperd.
- ``ours-nosample DIR``: the same with ``sample_size=0``: every .hyper is opened for its
  inventory (tables, columns, row counts) but no value is sampled or classified (issue 2's scope).
- ``ours-xml DIR``: every .twb/.twbx/.tds/.tdsx under DIR through ``load_file(path)`` (no
  HyperSession, so no extract is opened) and ``audit_workbook``: the audit without extracts.
- ``bare DIR``: the same files as ``ours-xml``; each document's bytes (a package's .twb/.tds
  member read from the zip in memory) parsed by a plain ``lxml.etree.parse``.
- ``peer DIR TABLE``: py-tbparse's ``scan_folder(DIR, TABLE)``, what ``py-tbparse batch`` runs.
- ``profile DIR [ours|ours-xml]``: one of our runs under cProfile; the functions and the source
  files (C functions by name) that take the most time of their own.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

XML_SUFFIXES = (".twb", ".twbx", ".tds", ".tdsx")
"""The files whose XML the bare-lxml and no-extract runs read."""

Result = dict[str, Any]


def xml_files(directory: Path) -> list[Path]:
    """Every .twb/.twbx/.tds/.tdsx below ``directory``, sorted (like the engine's walk)."""
    found: list[Path] = []
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        found.extend(Path(root, n) for n in sorted(names) if n.lower().endswith(XML_SUFFIXES))
    return found


def _suffix_counts(paths: Iterator[str] | list[str]) -> dict[str, int]:
    return dict(sorted(Counter(Path(p).suffix.lower() for p in paths).items()))


def probe_ours(directory: Path, *, sample: bool = True) -> Result:
    """The default engine run over ``directory`` (without value sampling unless ``sample``)."""
    start = time.perf_counter()
    import dataclasses

    from tableau_audit.config import AuditConfig
    from tableau_audit.engine import audit

    imported = time.perf_counter()
    config = AuditConfig()
    if not sample:
        config = dataclasses.replace(
            config, policy=dataclasses.replace(config.policy, sample_size=0)
        )
    result = audit([directory], config)
    done = time.perf_counter()
    return {
        "import_s": imported - start,
        "run_s": done - imported,
        "handled": _suffix_counts([item.source for item in result.items]),
        "skipped": _suffix_counts([s.source for s in result.skipped]),
        "findings": len(result.findings),
        "hyper_loaded": "tableauhyperapi" in sys.modules,
    }


def probe_ours_xml(directory: Path) -> Result:
    """The engine's per-file path without a HyperSession: no extract is opened."""
    start = time.perf_counter()
    from tableau_audit.config import AuditConfig
    from tableau_audit.engine import audit_workbook
    from tableau_audit.errors import ParseError
    from tableau_audit.parsing import load_file

    imported = time.perf_counter()
    config = AuditConfig()
    handled: list[str] = []
    skipped: list[str] = []
    findings = 0
    for path in xml_files(directory):
        try:
            report = audit_workbook(load_file(path), config)
        except ParseError:
            skipped.append(str(path))
            continue
        handled.append(str(path))
        findings += len(report.findings)
    done = time.perf_counter()
    return {
        "import_s": imported - start,
        "run_s": done - imported,
        "handled": _suffix_counts(handled),
        "skipped": _suffix_counts(skipped),
        "findings": findings,
        "hyper_loaded": "tableauhyperapi" in sys.modules,
    }


def _document_bytes(path: Path) -> bytes:
    """The XML of ``path``: the file itself, or a package's .twb/.tds (top level first)."""
    data = path.read_bytes()
    if not data.startswith(b"PK\x03\x04"):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = [n for n in package.namelist() if n.lower().endswith((".twb", ".tds"))]
        names.sort(key=lambda n: (n.count("/"), n))
        if not names:
            raise ValueError("no document in the package")
        return package.read(names[0])


def probe_bare(directory: Path) -> Result:
    """Plain ``lxml.etree.parse`` of each document; ``parse_s`` is the parse alone."""
    start = time.perf_counter()
    from lxml import etree

    imported = time.perf_counter()
    handled: list[str] = []
    skipped: list[str] = []
    parse_s = 0.0
    for path in xml_files(directory):
        try:
            data = _document_bytes(path)
            before = time.perf_counter()
            etree.parse(io.BytesIO(data))
            parse_s += time.perf_counter() - before
        except (ValueError, OSError, zipfile.BadZipFile, etree.XMLSyntaxError):
            skipped.append(str(path))
            continue
        handled.append(str(path))
    done = time.perf_counter()
    return {
        "import_s": imported - start,
        "run_s": done - imported,
        "parse_s": parse_s,
        "handled": _suffix_counts(handled),
        "skipped": _suffix_counts(skipped),
    }


def probe_peer(directory: Path, table: str) -> Result:
    """py-tbparse's batch (``scan_folder``); a workbook it cannot read is a warning."""
    start = time.perf_counter()
    from py_tbparse.batch import (  # type: ignore[import-not-found]  # peer venv only
        DEFAULT_PATTERNS,
        scan_folder,
    )

    imported = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = scan_folder(directory, table)
    done = time.perf_counter()
    seen = sorted({str(p) for pattern in DEFAULT_PATTERNS for p in directory.glob(pattern)})
    failed = {str(w.message).split(":", 1)[0].removeprefix("skipping ") for w in caught}
    return {
        "import_s": imported - start,
        "run_s": done - imported,
        "handled": _suffix_counts([p for p in seen if p not in failed]),
        "skipped": _suffix_counts([p for p in seen if p in failed]),
        "rows": len(frame),
    }


PHASES = {
    "read and parse (load_item / load_file)": ("parsing/__init__.py", ("load_item", "load_file")),
    # NOTE: extracts are read on a worker thread (ReadAhead), which cProfile does not see; this
    # is the time the main thread waited for them.
    "of which waiting for .hyper reads (ReadAhead.inspect / inventory)": (
        "parsing/read_ahead.py",
        ("inspect", "inventory"),
    ),
    "of which XML parsing (parse_xml)": ("parsing/xml.py", ("parse_xml",)),
    "field usage (compute_usage)": ("tableau_audit/usage.py", ("compute_usage",)),
    "classification (classify_columns)": ("tableau_audit/engine.py", ("classify_columns",)),
    "of which by name (classify_name)": ("classify/names.py", ("classify_name",)),
    "of which by value (evaluate_values)": ("classify/values.py", ("evaluate_values",)),
    "rules (_run_rules)": ("tableau_audit/engine.py", ("_run_rules",)),
}
"""Phases of a run: the cumulative time of these functions (source file suffix, names)."""


def _phases(stats: dict[Any, Any]) -> list[tuple[str, float]]:
    found: list[tuple[str, float]] = []
    for label, (suffix, names) in PHASES.items():
        # NOTE: the names are alternatives that may nest (load_file calls load_item): the
        # largest cumulative time is the phase, a sum would count nested calls twice.
        total = max(
            (
                entry[3]
                for (filename, _line, name), entry in stats.items()
                if filename.endswith(suffix) and name in names
            ),
            default=0.0,
        )
        found.append((label, total))
    return found


def probe_profile(directory: Path, kind: str = "ours", top: str = "12") -> Result:
    """Run one of our probes under cProfile; phases, and functions and files by own time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    result = profiler.runcall(PROBES[kind], directory)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    by_function: list[tuple[str, float, float]] = []
    by_file: Counter[str] = Counter()
    for (filename, line, name), (_cc, _nc, tottime, cumtime, _callers) in stats.items():
        where = _where(filename)
        label = name if filename == "~" else f"{where}:{line}({name})"
        by_function.append((label, tottime, cumtime))
        by_file[name if filename == "~" else where] += tottime
    count = int(top)
    by_function.sort(key=lambda item: -item[1])
    return {
        "run_s": result["run_s"],
        "total_s": sum(by_file.values()),
        "phases": _phases(stats),
        "functions": by_function[:count],
        "files": by_file.most_common(count),
    }


def _where(filename: str) -> str:
    """A short, machine-independent name for a source file."""
    parts = Path(filename).parts
    if filename.startswith("<"):
        return filename
    for anchor in ("tableau_audit", "site-packages"):
        if anchor in parts:
            rest = parts[parts.index(anchor) + (anchor == "site-packages") :]
            return "/".join(rest)
    return "/".join(parts[-2:])


def probe_ours_nosample(directory: Path) -> Result:
    """The engine with every extract's inventory but no value sample."""
    return probe_ours(directory, sample=False)


PROBES: dict[str, Callable[..., Result]] = {
    "ours": probe_ours,
    "ours-nosample": probe_ours_nosample,
    "ours-xml": probe_ours_xml,
    "bare": probe_bare,
    "peer": probe_peer,
    "profile": probe_profile,
}


def main(argv: list[str]) -> int:
    """``KIND DIR [TABLE]`` → one JSON line on stdout."""
    kind, directory, *rest = argv
    result = PROBES[kind](Path(directory), *rest)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
