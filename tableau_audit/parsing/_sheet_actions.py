"""Dashboard actions and the fields they reference (tableau-format.md §13; used by ``sheets.py``).

* filter (``tsc:tsl-filter``) and URL actions: ``link/@expression``. Filter links are URL-encoded
  ``tsl:<target>?[ds].[field]~s0=<[source field]~na>``; URL actions hold ``<[field]>`` or
  ``<EXPR([field])>``. ``[ds].[field]`` names its data source; a bare ``<[field]>`` belongs to the
  action's source (``source/@datasource``, else the data sources of its source sheets).
* highlight (``tsc:brush``): ``param name='field-captions'`` lists field *captions*.
* parameter (``edit-parameter-action``): ``source-field``; set (``edit-group-action``):
  ``target-group``; both ``[ds].[field]``.
* go to sheet (``nav-action``): no field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from urllib.parse import unquote

from lxml import etree

from tableau_audit.formula import formula_references
from tableau_audit.model import Action, Dashboard
from tableau_audit.parsing._sheet_refs import (
    RefResolver,
    attributes,
    qualified_references,
    source_line,
)

__all__ = ["parse_actions"]

_ANGLED = re.compile(r"<([^<>]*)>")
"""``<[field]>`` / ``<YEAR([Date])>`` placeholders of link expressions."""

_TAG_TYPES = {
    "edit-parameter-action": "parameter",
    "edit-group-action": "set",
    "edit-set-action": "set",
    "nav-action": "nav",
}
_COMMAND_TYPES = {"tsc:tsl-filter": "filter", "tsc:brush": "highlight"}


def parse_actions(
    root: etree._Element,
    resolver: RefResolver,
    sheet_sources: Mapping[str, Sequence[str]],
    dashboards: Sequence[Dashboard],
) -> tuple[Action, ...]:
    """Every action under ``actions`` with the fields it references."""
    shown = {dashboard.name: dashboard.sheets for dashboard in dashboards}
    actions = []
    for element in root.iterfind("actions/*"):
        tag = element.tag
        if not isinstance(tag, str) or not (tag == "action" or tag.endswith("-action")):
            continue  # the shared datasources / datasource-dependencies of all actions
        sources = _source_datasources(element, resolver, sheet_sources, shown)
        raw = list(_raw_references(element, resolver, sources))
        name = element.get("caption") or element.get("name", "").strip("[]")
        actions.append(
            Action(
                name=name,
                action_type=_action_type(element),
                references=resolver.resolve(raw),
                line=source_line(element),
            )
        )
    return tuple(actions)


def _action_type(element: etree._Element) -> str:
    """``filter``, ``highlight``, ``url``, ``parameter``, ``set``, ``nav``, or the raw command."""
    tag_type = _TAG_TYPES.get(str(element.tag))
    if tag_type is not None:
        return tag_type
    command = element.find("command")
    if command is not None:
        name = command.get("command", "")
        return _COMMAND_TYPES.get(name, name)
    return "url" if element.find("link") is not None else str(element.tag)


def _source_datasources(
    element: etree._Element,
    resolver: RefResolver,
    sheet_sources: Mapping[str, Sequence[str]],
    shown: Mapping[str, Sequence[str]],
) -> tuple[str, ...]:
    """Data sources an unqualified field of this action can belong to."""
    source = element.find("source")
    if source is None:
        return ()
    datasource = resolver.datasource(source.get("datasource", ""))
    if datasource is not None:
        return (datasource,)
    worksheet = source.get("worksheet")
    sheets = [worksheet] if worksheet else list(shown.get(source.get("dashboard", ""), ()))
    names = dict.fromkeys(ds for sheet in sheets for ds in sheet_sources.get(sheet, ()))
    return tuple(names)


def _raw_references(
    element: etree._Element, resolver: RefResolver, sources: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """``(datasource, name)`` pairs the action names, before resolution."""
    for node in element.iter(etree.Element):  # elements only, no comments
        for key, value in attributes(node):
            if node.tag == "link" and key == "expression":
                yield from _link_references(value, resolver, sources)
            elif "].[" in value:
                yield from qualified_references(value)
        if node.tag == "param" and node.get("name") == "field-captions":
            yield from _caption_references(node.get("value", ""), resolver, sources)


def _link_references(
    expression: str, resolver: RefResolver, sources: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """Fields of a link expression: ``[ds].[field]`` targets and ``<…>`` source placeholders."""
    decoded = unquote(expression)
    yield from qualified_references(decoded)
    for placeholder in _ANGLED.findall(decoded):
        for ref in formula_references(placeholder):
            if ref.datasource is not None:
                yield ref.datasource, ref.field
            else:
                yield from _in_sources(ref.field, resolver, sources)


def _caption_references(
    value: str, resolver: RefResolver, sources: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """Highlight actions name fields by caption, comma-separated (``all`` means every field)."""
    captions = {caption.strip() for caption in value.split(",")} - {"", "all"}
    for datasource in sources:
        by_caption = resolver.field_captions(datasource)
        for caption in captions:
            name = by_caption.get(caption)
            if name is not None:
                yield datasource, name


def _in_sources(
    name: str, resolver: RefResolver, sources: Sequence[str]
) -> Iterator[tuple[str, str]]:
    """A bare field name, in whichever source data source defines it."""
    for datasource in sources:
        if resolver.field(datasource, name) is not None:
            yield datasource, name
