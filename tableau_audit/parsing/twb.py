"""A parsed .twb/.tds tree → :class:`~tableau_audit.model.Workbook` (tableau-format.md §3-§4, §14).

The workbook level: kind, release, data sources (``Parameters`` becomes
``Workbook.parameters``), map-service secrets, package members and diagnostics. Data sources
are built by :mod:`~tableau_audit.parsing.datasource`; worksheets, dashboards, actions, blend
links and shared views by :mod:`~tableau_audit.parsing.sheets`.
"""

from __future__ import annotations

from lxml import etree

from tableau_audit.errors import ParseError
from tableau_audit.model import (
    ArtifactKind,
    Datasource,
    Diagnostic,
    Parameter,
    StoredSecret,
    Workbook,
)
from tableau_audit.parsing.datasource import (
    datasource_elements,
    parse_datasource,
    parse_parameters,
)
from tableau_audit.parsing.diagnostics import extract_diagnostics
from tableau_audit.parsing.package import Package
from tableau_audit.parsing.sheets import parse_sheets
from tableau_audit.parsing.stored_secrets import scan_connection

__all__ = ["build_workbook", "release_of"]

_KINDS = {"workbook": ArtifactKind.WORKBOOK, "datasource": ArtifactKind.DATASOURCE}
_PARAMETERS = "Parameters"


def build_workbook(
    root: etree._Element,
    *,
    source: str,
    name: str,
    package: Package | None = None,
) -> Workbook:
    """Build the model of one document. ``source`` is the artifact as the user named it."""
    kind = _KINDS.get(root.tag)
    if kind is None:
        raise ParseError(
            source, f"the XML root element is <{root.tag[:40]}>, not <workbook> or <datasource>"
        )
    datasources: list[Datasource] = []
    secrets: list[StoredSecret] = []
    diagnostics: list[Diagnostic] = list(package.diagnostics) if package is not None else []
    parameters: tuple[Parameter, ...] = ()
    for element in datasource_elements(root):
        if element.get("name") == _PARAMETERS and kind is ArtifactKind.WORKBOOK:
            parameters = parse_parameters(element)
            continue
        parsed = parse_datasource(element, fallback_name=name, package=package)
        datasources.append(parsed.datasource)
        secrets.extend(parsed.secrets)
        diagnostics.extend(parsed.diagnostics)
    secrets.extend(_mapsource_secrets(root))
    sheets = parse_sheets(root, datasources, source)
    return Workbook(
        source=source,
        kind=kind,
        name=name,
        version=release_of(root),
        datasources=tuple(datasources),
        worksheets=sheets.worksheets,
        dashboards=sheets.dashboards,
        actions=sheets.actions,
        parameters=parameters,
        blend_links=sheets.blend_links,
        shared_view_references=sheets.shared_view_references,
        package=package.members if package is not None else (),
        secrets=tuple(secrets),
        diagnostics=(*diagnostics, *extract_diagnostics(datasources)),
    )


def release_of(root: etree._Element) -> str:
    """Tableau release that saved the file: ``source-build`` (2018.1+), else ``version``.

    ``2024.3.0 (20243.24.1010.1014)`` → ``2024.3``. Internal dev builds (``0.0.0``) fall back
    to ``version``.
    """
    build = (root.get("source-build") or "").split(" ", 1)[0]
    parts = build.split(".")
    if len(parts) >= 2 and parts[0].isdigit() and parts[0] != "0":
        return f"{parts[0]}.{parts[1]}"
    return root.get("version", "")


def _mapsource_secrets(root: etree._Element) -> list[StoredSecret]:
    """API keys and access tokens of map services (``mapsources/mapsource/connection``)."""
    found: list[StoredSecret] = []
    for mapsource in root.iterfind("mapsources/mapsource"):
        place = (f"mapsource:{mapsource.get('name', '')}",)
        for conn in mapsource.iter("connection"):
            found.extend(scan_connection(conn, place))
    return found
