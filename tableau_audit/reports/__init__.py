"""Report formats. :data:`REPORTERS` is the only map from a format name to its code.

Adding a format is one module with a ``<Format>Reporter`` class and one line below.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from tableau_audit.reports.console import ConsoleReporter
from tableau_audit.reports.csv_report import CsvReporter
from tableau_audit.reports.html import HtmlReporter
from tableau_audit.reports.interface import CatalogueReporter, Reporter, Summary, summarize
from tableau_audit.reports.json import JsonReporter
from tableau_audit.reports.junit import JunitReporter
from tableau_audit.reports.markdown import MarkdownReporter
from tableau_audit.reports.sarif import SarifReporter

REPORTERS: Mapping[str, Reporter] = MappingProxyType(
    {
        "console": ConsoleReporter(),
        "csv": CsvReporter(),
        "html": HtmlReporter(),
        "json": JsonReporter(),
        "junit": JunitReporter(),
        "markdown": MarkdownReporter(),
        "sarif": SarifReporter(),
    }
)
"""Format name (the ``--format`` value) → reporter. Read-only."""


def catalogue_formats() -> tuple[str, ...]:
    """Names of the formats that can also render the rule catalogue (``tableau-audit rules``)."""
    return tuple(sorted(n for n, r in REPORTERS.items() if isinstance(r, CatalogueReporter)))


__all__ = [
    "REPORTERS",
    "CatalogueReporter",
    "ConsoleReporter",
    "CsvReporter",
    "HtmlReporter",
    "JsonReporter",
    "JunitReporter",
    "MarkdownReporter",
    "Reporter",
    "SarifReporter",
    "Summary",
    "catalogue_formats",
    "summarize",
]
