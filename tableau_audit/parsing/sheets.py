"""Worksheets, dashboards, actions, blend links and shared views: the fields each one uses.

Input is a workbook root already normalised by :func:`tableau_audit.parsing.xml.parse_xml`
(``_.fcp.*`` prefixes resolved). What a sheet uses (tableau-format.md §11, §13):

* its ``datasource-dependencies``: ``column/@name`` and ``column-instance/@column``
  (an instance is always resolved through its ``@column``, never by parsing its name);
* every ``[ds].[field-or-instance]`` written anywhere in the sheet: rows/cols text, encodings,
  filters, slices, sorts, reference lines, table calcs, style encodings, formatted-text runs of
  tooltips and titles. The scan is generic (every attribute and text of the subtree) so new
  places Tableau invents are still seen; only names of known data sources count;
* ``groupfilter/@level`` under a filter, which names the real field behind the action and
  tooltip pseudo-fields ``[Action (State)]`` / ``[Tooltip (State)]``.

A reference survives only if it names a field the data source really defines (a column, calc,
group, parameter or a dependency of some sheet). That drops most pseudo-fields without a
hand-kept list (``[Multiple Values]``, ``[Latitude (generated)]``, ``[Number of Records]`` when
it is not a calc, ``[__tableau_internal_object_id__].[…]``). Two kinds are declared in the data
source and so are dropped by rule: ``:``-prefixed names (``[:Measure Names]``) and the generated
``[Action (…)]`` / ``[Tooltip (…)]`` filter groups (``user:auto-column='sheet_link'``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

from tableau_audit.model import Action, BlendLink, Dashboard, Datasource, FieldRef, Worksheet
from tableau_audit.parsing._sheet_actions import parse_actions
from tableau_audit.parsing._sheet_refs import (
    RefResolver,
    build_resolver,
    dependency_references,
    leading_qualifier,
    local_name,
    qualified_references,
    serialized_references,
    source_line,
)
from tableau_audit.records import frozen

__all__ = ["SheetParts", "parse_sheets"]

logger = logging.getLogger(__name__)


@frozen
class SheetParts:
    """Everything above the data sources that references their fields."""

    worksheets: tuple[Worksheet, ...] = ()
    dashboards: tuple[Dashboard, ...] = ()
    actions: tuple[Action, ...] = ()
    blend_links: tuple[BlendLink, ...] = ()
    shared_view_references: tuple[FieldRef, ...] = ()


_WORKSHEET_WINDOWS = frozenset({"worksheet", "hidden-worksheet"})


@dataclass(slots=True)
class _Collected:
    """Raw (unresolved) ``(datasource, name)`` references of one subtree."""

    refs: list[tuple[str, str]] = field(default_factory=list)
    datasources: list[str] = field(default_factory=list)
    """Data sources the subtree declares (``datasources/datasource`` and deps)."""


def parse_sheets(
    root: etree._Element, datasources: Sequence[Datasource], artifact: str
) -> SheetParts:
    """Read worksheets, dashboards, actions, blend links and shared views under ``root``."""
    resolver = build_resolver(root, datasources)
    hidden = _hidden_worksheets(root)
    sheet_sources: dict[str, tuple[str, ...]] = {}
    worksheets = []
    for element in root.iterfind("worksheets/worksheet"):
        name = element.get("name", "")
        collected = _collect(element, resolver)
        refs = resolver.resolve(collected.refs)
        sheet_sources[name] = _sources(collected, refs)
        worksheets.append(
            Worksheet(
                name=name,
                references=refs,
                hidden=name in hidden,
                line=source_line(element),
            )
        )
    dashboards = tuple(_dashboards(root, resolver))
    actions = parse_actions(root, resolver, sheet_sources, dashboards)
    logger.debug(
        "%s: %d worksheets, %d dashboards, %d actions",
        artifact,
        len(worksheets),
        len(dashboards),
        len(actions),
    )
    return SheetParts(
        worksheets=tuple(worksheets),
        dashboards=dashboards,
        actions=actions,
        blend_links=tuple(_blend_links(root, resolver)),
        shared_view_references=_shared_views(root, resolver),
    )


def _hidden_worksheets(root: etree._Element) -> frozenset[str]:
    """Names of hidden worksheets (``hidden='true'``, or the pre-10 ``hidden-worksheet`` class)."""
    hidden = set()
    for window in root.iterfind("windows/window"):
        window_class = window.get("class")
        if window_class not in _WORKSHEET_WINDOWS:
            continue
        if window_class == "hidden-worksheet" or window.get("hidden") == "true":
            hidden.add(window.get("name", ""))
    return frozenset(hidden)


_DEPENDENCIES = etree.XPath("table/view/datasource-dependencies | datasource-dependencies")
_DECLARED = etree.XPath(
    "table/view/datasources/datasource/@name | datasources/datasource/@name", smart_strings=False
)


def _collect(subtree: etree._Element, resolver: RefResolver) -> _Collected:
    """Deps, qualified references and filter levels of ``subtree``."""
    out = _Collected()
    refs = out.refs
    out.datasources.extend(cast("list[str]", _DECLARED(subtree)))
    for deps in cast("list[etree._Element]", _DEPENDENCIES(subtree)):
        out.datasources.append(deps.get("datasource", ""))
        # NOTE: the resolver already read the deps it indexed; others are read here.
        known = resolver.dependencies.get(deps)
        refs.extend(dependency_references(deps) if known is None else known)
    # NOTE: ``iter`` rather than the XPath ``.//filter[@column]``: the same elements in the
    # same order, with a cheaper walk.
    for element in subtree.iter("filter"):
        column = element.get("column")
        if column is not None:
            _filter_levels(column, element, refs)
    refs.extend(serialized_references(subtree))
    return out


def _filter_levels(column: str, element: etree._Element, refs: list[tuple[str, str]]) -> None:
    """``groupfilter/@level`` names the field behind a filter, in the filter's data source."""
    datasource = leading_qualifier(column)
    if datasource is None:
        return
    for groupfilter in element.iter("groupfilter"):
        name = local_name(groupfilter.get("level", ""))
        if name is not None:
            refs.append((datasource, name))


def _sources(collected: _Collected, refs: Iterable[FieldRef]) -> tuple[str, ...]:
    """Data sources a sheet draws on, declared ones first."""
    names = dict.fromkeys(collected.datasources)
    names.update(dict.fromkeys(ref.datasource for ref in refs))
    return tuple(name for name in names if name)


def _dashboards(root: etree._Element, resolver: RefResolver) -> Iterator[Dashboard]:
    """Dashboards (and stories) with the sheets their zones show and their own references."""
    for element in root.iterfind("dashboards/dashboard"):
        shown = dict.fromkeys(
            zone.get("name", "")
            for zone in element.iter("zone")
            if zone.get("name") and zone.get("type") is None and zone.get("type-v2") is None
        )
        yield Dashboard(
            name=element.get("name", ""),
            sheets=tuple(shown),
            references=resolver.resolve(_collect(element, resolver).refs),
            line=source_line(element),
        )


def _blend_links(root: etree._Element, resolver: RefResolver) -> Iterator[BlendLink]:
    """One link per ``datasource-relationship``: the mapped fields of both data sources."""
    for relationship in root.iterfind("datasource-relationships/datasource-relationship"):
        raw: list[tuple[str, str]] = []
        for mapping in relationship.iterfind("column-mapping/map"):
            for value in (mapping.get("key", ""), mapping.get("value", "")):
                raw.extend(qualified_references(value))
        refs = resolver.resolve(raw)
        if refs:
            yield BlendLink(references=refs)


def _shared_views(root: etree._Element, resolver: RefResolver) -> tuple[FieldRef, ...]:
    """References of ``shared-views/shared-view`` (filters applied to every sheet of a source)."""
    raw: list[tuple[str, str]] = []
    for view in root.iterfind("shared-views/shared-view"):
        raw.extend(_collect(view, resolver).refs)
    return resolver.resolve(raw)
