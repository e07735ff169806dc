"""Resolving raw ``[ds].[name]`` references of sheets to real fields (used by ``sheets.py``).

Built once per workbook: the data-source names and captions, every column instance the
workbook declares (per data source, at data-source level or in any ``datasource-dependencies``)
and every field name a data source defines. An instance name maps to the same column wherever
it is declared within one data source, so one map per data source serves every sheet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

from tableau_audit.formula import read_bracketed
from tableau_audit.model import Calculation, Column, Datasource, FieldRef, Group
from tableau_audit.records import frozen

PARAMETERS = "Parameters"
"""The reserved data source holding the workbook's parameters."""

_AUTO_COLUMN = "{http://www.tableausoftware.com/xml/user}auto-column"
_SHEET_LINK = "sheet_link"
"""``user:auto-column`` of the ``[Action (…)]`` / ``[Tooltip (…)]`` groups Tableau generates for
action and tooltip filters: not fields of the data, the real fields are their filter levels."""


_QUALIFIED = re.compile(r"\[([^\]]*(?:\]\][^\]]*)*)\]\.\[([^\]]*(?:\]\][^\]]*)*)\]")
"""``[a].[b]``; the names may hold ``]]`` escapes. Written as an "unrolled loop" (no
per-character alternation), which is several times faster on long shelf texts."""


_SERIALIZED = re.compile(r'\[([^\]<>"]*(?:\]\][^\]<>"]*)*)\]\.\[([^\]<>"]*(?:\]\][^\]<>"]*)*)\]')
"""``[a].[b]`` inside serialized XML. A raw ``<`` or ``>`` is always markup there, and so is a
raw ``"`` outside texts (lxml escapes it in attribute values), so a match never spans two
values. NOTE: the price is that a name holding ``"`` is missed in a *text* (shelf, slice or
tooltip run); it is still read from the sheet's deps, which list every field anyway."""
_SERIALIZED_PLAIN = re.compile(r'\[([^\]<>"]*)\]\.\[([^\]<>"]*)\]')
"""``_SERIALIZED`` for a text without ``]]``, where its escape loop can never match: the same
matches, found about twice as fast."""
_FORMULA_ATTRIBUTE = re.compile(r' formula="[^"]*"')


def serialized_references(element: etree._Element) -> list[tuple[str, str]]:
    """Every ``[ds].[name]`` in the attribute values and texts of ``element``'s subtree.

    Calc formulas copied into a sheet's deps are skipped: the usage closure reads the data
    source's own. Serializing the subtree and scanning it once costs a fraction of visiting
    every attribute from Python.
    """
    text = etree.tostring(element, encoding="unicode", with_tail=False)
    if ' formula="' in text:
        text = _FORMULA_ATTRIBUTE.sub("", text)
    pattern = _SERIALIZED if "]]" in text else _SERIALIZED_PLAIN
    # NOTE: de-duplicated before unescaping (a sheet repeats its fields many times); callers
    # resolve the references keeping the first occurrence, so order is all that matters.
    found = dict.fromkeys(pattern.findall(text))
    return [(_unxml(first), _unxml(second)) for first, second in found]


def _unxml(name: str) -> str:
    """Undo XML character escapes and ``]]`` in a name matched in serialized XML."""
    if "&" in name:
        import html  # NOTE: rarely needed; html.entities costs ~1 ms of every start (issue 2)

        name = html.unescape(name)
    return name.replace("]]", "]")


def source_line(element: etree._Element) -> int | None:
    """Line of ``element`` in the document (lxml-stubs leave ``sourceline`` untyped)."""
    return cast("int | None", element.sourceline)


def attributes(element: etree._Element) -> Sequence[tuple[str, str]]:
    """``(name, value)`` pairs of ``element``; a parsed document only has ``str`` ones."""
    return cast("Sequence[tuple[str, str]]", element.items())


def qualified_references(text: str) -> Iterator[tuple[str, str]]:
    """Every ``[ds].[name]`` in ``text``, unescaped (not resolved)."""
    for first, second in _QUALIFIED.findall(text):
        yield first.replace("]]", "]"), second.replace("]]", "]")


def leading_qualifier(text: str) -> str | None:
    """The ``ds`` of a ``[ds].[name]`` that ``text`` starts with."""
    match = _QUALIFIED.match(text)
    return None if match is None else match.group(1).replace("]]", "]")


def local_name(raw: str) -> str | None:
    """``[Sales]`` → ``Sales``; a bare name is returned as is.

    Multi-part names (``[__tableau_internal_object_id__].[…]``, OLAP ``[Dim].[Level]``) are not
    fields of the data source itself: ``None``.
    """
    if not raw.startswith("["):
        return raw or None
    inner = raw[1:-1]
    if raw.endswith("]") and "]" not in inner:
        return inner  # the common case, without the escape-aware scan
    name, end = read_bracketed(raw, 0)
    if end != len(raw):
        return None
    return name


@frozen
class RefResolver:
    """Maps raw sheet references to :class:`FieldRef` of fields the data sources define."""

    captions: dict[str, str]
    """Data-source caption → internal name (older files qualify with the caption-like name)."""
    instances: dict[str, dict[str, str]]
    """Per data source, column-instance name → column name."""
    known: dict[str, frozenset[str]]
    """Per data source, every field name it defines."""
    pseudo: dict[str, frozenset[str]]
    """Per data source, generated action/tooltip filter groups (never references)."""
    dependencies: dict[etree._Element, list[tuple[str, str]]] = field(default_factory=dict)
    """Per ``datasource-dependencies`` element indexed, the ``(datasource, field)`` pairs its
    columns and column instances name (read once for the index and the sheet)."""
    datasources: Sequence[Datasource] = ()
    named: list[tuple[str, str, etree._Element]] = field(default_factory=list)
    """``(data source, field name, element)`` of every named ``column``/``group`` the index
    read, in order; their captions are read only if an action names fields by caption."""
    _resolved: dict[tuple[str, str], tuple[tuple[str, str], FieldRef] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Raw reference → resolved one; a workbook names the same fields in sheet after sheet."""
    _field_captions: dict[str, dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def datasource(self, name: str) -> str | None:
        """Internal name of the data source ``name`` designates (internal name or caption)."""
        if name in self.known:
            return name
        return self.captions.get(name)

    def field(self, datasource: str, name: str) -> str | None:
        """The field ``name`` (a field or an instance of one) designates in ``datasource``."""
        base = self.instances.get(datasource, {}).get(name, name)
        if base.startswith(":") or base in self.pseudo.get(datasource, ()):
            # NOTE: ``[:Measure Names]`` & co. can be declared as columns (for their aliases).
            return None
        if base in self.known.get(datasource, ()):
            return base
        return None

    def field_captions(self, datasource: str) -> Mapping[str, str]:
        """Field caption → field name in ``datasource`` (highlight actions name fields by
        caption); the first field with a caption wins, data-source fields first."""
        if datasource not in self._field_captions:
            self._field_captions[datasource] = _read_captions(datasource, self)
        return self._field_captions[datasource]

    def resolve(self, raw: Iterable[tuple[str, str]]) -> tuple[FieldRef, ...]:
        """Resolve, drop pseudo-fields and unknown names, de-duplicate keeping order."""
        out: dict[tuple[str, str], FieldRef] = {}
        resolved = self._resolved
        for pair in dict.fromkeys(raw):
            if pair in resolved:
                found = resolved[pair]
            else:
                found = resolved[pair] = self._resolve_one(*pair)
            # NOTE: a dropped name is not logged: raw references can come from filter members,
            # which are data values.
            if found is not None:
                out.setdefault(found[0], found[1])
        return tuple(out.values())

    def _resolve_one(
        self, raw_datasource: str, raw_name: str
    ) -> tuple[tuple[str, str], FieldRef] | None:
        datasource = self.datasource(raw_datasource)
        if datasource is None:
            return None
        name = self.field(datasource, raw_name)
        if name is None:
            return None
        return (datasource, name), FieldRef(datasource=datasource, field=name)


_ALL_DEPENDENCIES = etree.XPath(
    "worksheets/worksheet/table/view/datasource-dependencies"
    " | dashboards/dashboard/datasource-dependencies"
    " | shared-views/shared-view/datasource-dependencies"
    " | actions/datasource-dependencies"
    " | datasource-relationships/datasource-dependencies"
    " | datasources/datasource/datasource-dependencies"
)
"""Every place Tableau writes ``datasource-dependencies`` (measured on the corpus); explicit
paths, because a descendant search walks the whole multi-megabyte tree."""


@dataclass(slots=True)
class _Index:
    """What :func:`build_resolver` collects while it reads the workbook."""

    known: dict[str, set[str]] = field(default_factory=dict)
    instances: dict[str, dict[str, str]] = field(default_factory=dict)
    local_names: dict[str, str | None] = field(default_factory=dict)
    """Raw name → :func:`local_name` of it: the same names recur in every sheet's deps."""
    named: list[tuple[str, str, etree._Element]] = field(default_factory=list)


def build_resolver(root: etree._Element, datasources: Sequence[Datasource]) -> RefResolver:
    """Index the names, instances and fields of every data source of the workbook ``root``."""
    captions: dict[str, str] = {}
    index = _Index()
    pseudo: dict[str, set[str]] = {}
    for ds in datasources:
        names = index.known.setdefault(ds.name, set())
        items: list[Column | Calculation | Group] = [*ds.columns, *ds.calculations, *ds.groups]
        names.update(item.name for item in items)
        if ds.caption and ds.caption != ds.name:
            captions.setdefault(ds.caption, ds.name)
    for element in root.iterfind("datasources/datasource"):
        name = element.get("name", "")
        caption = element.get("caption")
        if caption and caption != name:
            captions.setdefault(caption, name)
        _index_fields(element, name, index)
        pseudo[name] = {
            group_name
            for group in element.iterfind("group")
            if group.get(_AUTO_COLUMN) == _SHEET_LINK
            and (group_name := local_name(group.get("name", ""))) is not None
        }
    index.known.setdefault(PARAMETERS, set())
    dependencies: dict[etree._Element, list[tuple[str, str]]] = {}
    for deps in cast("list[etree._Element]", _ALL_DEPENDENCIES(root)):
        datasource = deps.get("datasource", "")
        dependencies[deps] = _index_fields(deps, datasource, index)
    return RefResolver(
        captions=captions,
        instances=index.instances,
        known={name: frozenset(fields) for name, fields in index.known.items()},
        pseudo={name: frozenset(names) for name, names in pseudo.items() if names},
        dependencies=dependencies,
        datasources=datasources,
        named=index.named,
    )


def dependency_references(deps: etree._Element) -> list[tuple[str, str]]:
    """``(datasource, field)`` of the columns and column instances one deps element lists."""
    datasource = deps.get("datasource", "")
    found: list[tuple[str, str]] = []
    for child in deps:
        tag = child.tag
        if tag == "column":
            name = local_name(child.get("name", ""))
        elif tag == "column-instance":
            name = local_name(child.get("column", ""))
        else:
            continue
        if name is not None:
            found.append((datasource, name))
    return found


def _cached_local_name(cache: dict[str, str | None], raw: str) -> str | None:
    if raw in cache:
        return cache[raw]
    name = cache[raw] = local_name(raw)
    return name


def _index_fields(parent: etree._Element, datasource: str, index: _Index) -> list[tuple[str, str]]:
    """Fields and instances declared directly under a ``datasource`` or its deps in a sheet.

    Returns what :func:`dependency_references` returns for ``parent``, from the same walk.
    """
    known = index.known.setdefault(datasource, set())
    cache = index.local_names
    found: list[tuple[str, str]] = []
    for child in parent:
        tag = child.tag
        if tag == "column" or tag == "group":
            name = _cached_local_name(cache, child.get("name", ""))
            if name is not None:
                known.add(name)
                index.named.append((datasource, name, child))
                if tag == "column":
                    found.append((datasource, name))
        elif tag == "column-instance":
            column = _cached_local_name(cache, child.get("column", ""))
            if column is None:
                continue
            found.append((datasource, column))
            instance = _cached_local_name(cache, child.get("name", ""))
            if instance is not None:
                index.instances.setdefault(datasource, {}).setdefault(instance, column)
                known.add(column)
        elif tag == "connection":
            # NOTE: pre-10 files keep calcs in connection/calculations (tableau-format.md §8).
            for calc in child.iterfind("calculations/calculation"):
                name = local_name(calc.get("column", ""))
                if name is not None:
                    known.add(name)
    return found


def _read_captions(datasource: str, resolver: RefResolver) -> dict[str, str]:
    """Field caption → name in ``datasource``: the model's fields, then the ``column``/``group``
    children of its data-source elements and deps, in :func:`build_resolver`'s order."""
    by_caption: dict[str, str] = {}
    for ds in resolver.datasources:
        if ds.name == datasource:
            items: list[Column | Calculation | Group] = [*ds.columns, *ds.calculations, *ds.groups]
            for item in items:
                by_caption.setdefault(item.caption or item.name, item.name)
    for source, name, element in resolver.named:
        if source == datasource:
            by_caption.setdefault(element.get("caption") or name, name)
    return by_caption
