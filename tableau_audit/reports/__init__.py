"""Report formats. :data:`REPORTERS` is the only map from a format name to its code.

Adding a format is one module with a ``<Format>Reporter`` class and one entry in
:data:`_FORMATS`. A format's module is imported the first time its reporter is looked up, so a
JSON run never imports ``rich`` (console) or ``jinja2`` (HTML): startup time is part of the
product (issue 2's cold-start benchmark).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping

from tableau_audit.records import frozen
from tableau_audit.reports.interface import CatalogueReporter, Reporter, Summary, summarize


@frozen
class _Format:
    """Where a format's reporter lives, and whether it renders the rule catalogue too."""

    module: str
    cls: str
    catalogue: bool = False
    """True when the reporter is a :class:`CatalogueReporter` (a test checks it)."""


_FORMATS: Mapping[str, _Format] = {
    "console": _Format(module="console", cls="ConsoleReporter", catalogue=True),
    "csv": _Format(module="csv_report", cls="CsvReporter"),
    "html": _Format(module="html", cls="HtmlReporter"),
    "json": _Format(module="json", cls="JsonReporter", catalogue=True),
    "junit": _Format(module="junit", cls="JunitReporter"),
    "markdown": _Format(module="markdown", cls="MarkdownReporter", catalogue=True),
    "sarif": _Format(module="sarif", cls="SarifReporter"),
}


class _LazyReporters(Mapping[str, Reporter]):
    """A read-only name → reporter mapping that imports a format's module on first lookup.

    Iterating, ``len`` and ``in`` only read the names, so ``--format`` choices cost nothing.
    Reporters are stateless, so the one instance per format is shared by every caller.
    """

    __slots__ = ("_formats", "_loaded", "_lock")

    def __init__(self, formats: Mapping[str, _Format]) -> None:
        self._formats = dict(formats)
        self._loaded: dict[str, Reporter] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Reporter:
        reporter = self._loaded.get(name)
        if reporter is not None:
            return reporter
        spec = self._formats[name]  # KeyError for an unknown format, as a dict would
        with self._lock:
            reporter = self._loaded.get(name)
            if reporter is None:
                module = importlib.import_module(f"{__name__}.{spec.module}")
                reporter = getattr(module, spec.cls)()
                self._loaded[name] = reporter
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(self._formats)

    def __len__(self) -> int:
        return len(self._formats)

    def __contains__(self, name: object) -> bool:
        return name in self._formats

    def __repr__(self) -> str:
        return f"REPORTERS({sorted(self._formats)})"


REPORTERS: Mapping[str, Reporter] = _LazyReporters(_FORMATS)
"""Format name (the ``--format`` value) → reporter. Read-only; modules load on first lookup."""


def catalogue_formats() -> tuple[str, ...]:
    """Names of the formats that can also render the rule catalogue (``tableau-audit rules``).

    Read from the format table, so building the ``rules`` command imports no reporter.
    """
    return tuple(sorted(name for name, spec in _FORMATS.items() if spec.catalogue))


__all__ = [
    "REPORTERS",
    "CatalogueReporter",
    "Reporter",
    "Summary",
    "catalogue_formats",
    "summarize",
]
