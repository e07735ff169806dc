"""One ``<datasource>`` element → :class:`~tableau_audit.model.Datasource` (format §4-§10).

A single pass over the data source's direct children collects the connection, the field
overrides (``<column>``), calculations, groups, data-source filters and extract definitions;
only the connection subtree is searched for ``metadata-record`` elements. Names are
normalised here (no brackets, caption falls back to the name) so nothing downstream reads
raw XML strings. The extract mapping and its packaged file are resolved in
:mod:`tableau_audit.parsing.extract`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

from tableau_audit.formula import formula_references
from tableau_audit.model import (
    Calculation,
    Column,
    Connection,
    Datasource,
    Diagnostic,
    Extract,
    Group,
    Parameter,
    PublishedRef,
    Relation,
    StoredSecret,
)
from tableau_audit.parsing.diagnostics import several_extracts
from tableau_audit.parsing.extract import (
    EXTRACT_CLASSES,
    ExtractInputs,
    build_extract,
    column_records,
    relation_of,
)
from tableau_audit.parsing.names import line_of, split_qualified, unbracket
from tableau_audit.parsing.package import Package
from tableau_audit.parsing.stored_secrets import scan_connection, scan_custom_sql
from tableau_audit.records import frozen

__all__ = ["ParsedDatasource", "datasource_elements", "parse_datasource", "parse_parameters"]

_TRUE = "true"
_PSEUDO_PREFIX = "__tableau_internal_object_id__"
_INSTANCE_NAME = re.compile(r"(?:[a-z][a-z0-9]*:)+(.+):(?:nk|ok|qk|fn)(?::\d+)?")
_RECORD_CLASSES = frozenset({"column"})
_PROXY_RECORD_CLASSES = frozenset({"column", "measure"})
_PSEUDO_NAMES = frozenset({"Multiple Values", "Number of Records", "Measure Names"})


@frozen
class ParsedDatasource:
    """A data source and the secrets stored in its connections."""

    datasource: Datasource
    secrets: tuple[StoredSecret, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(slots=True)
class _Children:
    """The direct children of a ``<datasource>`` that the model needs, by role."""

    connection: etree._Element | None = None
    columns: list[tuple[str, etree._Element]] = field(default_factory=list)
    """``<column>`` children with their bracket-free names (``""`` when unnamed)."""
    overrides: dict[str, etree._Element] = field(default_factory=dict)
    """Named ``<column>`` children by name (the last one wins)."""
    calculations: dict[etree._Element, etree._Element] = field(default_factory=dict)
    """``<column>`` child → its first ``<calculation>`` child."""
    groups: list[etree._Element] = field(default_factory=list)
    filters: list[etree._Element] = field(default_factory=list)
    extracts: list[etree._Element] = field(default_factory=list)
    instances: dict[str, str] = field(default_factory=dict)
    """Column-instance name → column name (``none:City:nk`` → ``City``)."""
    repository: etree._Element | None = None
    object_graph: etree._Element | None = None


def datasource_elements(root: etree._Element) -> list[etree._Element]:
    """The data sources a document defines: the root of a .tds, else ``workbook/datasources/*``."""
    if root.tag == "datasource":
        return [root]
    container = root.find("datasources")
    if container is None:
        return []
    return [child for child in container if child.tag == "datasource"]


def parse_parameters(element: etree._Element) -> tuple[Parameter, ...]:
    """Columns of the reserved ``Parameters`` data source as :class:`Parameter` values."""
    params: list[Parameter] = []
    for column in element.iterchildren("column"):
        name = unbracket(column.get("name"))
        if not name:
            continue
        calc = column.find("calculation")
        params.append(
            Parameter(
                name=name,
                caption=column.get("caption") or name,
                datatype=column.get("datatype", ""),
                formula=calc.get("formula", "") if calc is not None else "",
                line=line_of(column),
            )
        )
    return tuple(params)


def parse_datasource(
    element: etree._Element, *, fallback_name: str, package: Package | None
) -> ParsedDatasource:
    """Build one data source. ``fallback_name`` names a .tds root that carries no name."""
    children = _sort_children(element)
    name = element.get("name") or element.get("formatted-name") or fallback_name
    caption = element.get("caption") or element.get("name") or element.get("formatted-name")
    caption = caption or fallback_name
    conn = children.connection
    leaves = _leaf_connections(conn)
    relations = tuple(_relations(conn, children.object_graph))
    records = _column_records(conn)
    calculations = _calculations(children, conn)
    columns = _physical_columns(conn, records, children, {c.name for c in calculations})
    place = (f"datasource:{caption}",)
    secrets = [s for leaf in _all_connections(element) for s in scan_connection(leaf, place)]
    secrets.extend(s for r in relations for s in scan_custom_sql(r, place))
    extract = build_extract(
        ExtractInputs(
            extracts=tuple(children.extracts),
            leaves=tuple(leaves),
            live_relations=relations,
            live_records=tuple(records),
        ),
        package=package,
    )
    datasource = Datasource(
        name=name,
        caption=caption,
        connections=tuple(_connection(leaf) for leaf in leaves),
        relations=relations,
        columns=columns,
        calculations=calculations,
        groups=tuple(_group(g, children.instances) for g in children.groups if g.get("name")),
        filter_fields=_filter_fields(children.filters, children.instances),
        extract=extract,
        published=_published(leaves, children.repository),
        line=line_of(element),
    )
    return ParsedDatasource(
        datasource=datasource,
        secrets=tuple(secrets),
        diagnostics=_extract_count_diagnostic(caption, leaves, extract),
    )


def _extract_count_diagnostic(
    caption: str, leaves: Iterable[etree._Element], extract: Extract | None
) -> tuple[Diagnostic, ...]:
    dbnames = [leaf.get("dbname", "") for leaf in leaves if leaf.get("class") in EXTRACT_CLASSES]
    if len(dbnames) < 2 or extract is None or not extract.live:
        return ()
    return (several_extracts(caption, dbnames, extract.dbname),)


_COLUMN_CALCULATIONS = etree.XPath("column/calculation")


def _sort_children(element: etree._Element) -> _Children:
    children = _Children()
    for child in element:
        tag = child.tag
        if tag == "column":
            raw = child.get("name")
            name = unbracket(raw)
            children.columns.append((name, child))
            if raw:
                children.overrides[name] = child
        elif tag == "group":
            children.groups.append(child)
        elif tag == "connection" and children.connection is None:
            children.connection = child
        elif tag == "extract":
            children.extracts.append(child)
        elif tag == "filter":
            children.filters.append(child)
        elif tag == "column-instance":
            instance, column = unbracket(child.get("name")), unbracket(child.get("column"))
            if instance and column:
                children.instances.setdefault(instance, column)
        elif tag == "repository-location":
            children.repository = child
        elif tag == "object-graph":
            children.object_graph = child
    if children.columns:
        # NOTE: one XPath for every column's calculation instead of a ``find`` per column;
        # getparent() returns the very column objects held above, so they work as keys.
        for calc in cast("list[etree._Element]", _COLUMN_CALCULATIONS(element)):
            parent = calc.getparent()
            if parent is not None:
                children.calculations.setdefault(parent, calc)
    return children


def _leaf_connections(conn: etree._Element | None) -> list[etree._Element]:
    """Named-connection leaves of a federated connection, or the legacy single connection."""
    if conn is None:
        return []
    if conn.get("class") != "federated":
        return [conn]
    return [
        leaf
        for named in conn.iterfind("named-connections/named-connection")
        for leaf in named.iterchildren("connection")
    ]


def _all_connections(element: etree._Element) -> Iterator[etree._Element]:
    """Every ``connection`` element of a data source (live, federated, leaves, extract)."""
    return element.iter("connection")


def _connection(leaf: etree._Element) -> Connection:
    parent = leaf.getparent()
    caption = parent.get("caption", "") if parent is not None else ""
    return Connection(
        connection_class=leaf.get("class", ""),
        server=leaf.get("server", ""),
        port=leaf.get("port", ""),
        dbname=leaf.get("dbname", ""),
        schema=leaf.get("schema", ""),
        username=leaf.get("username", ""),
        authentication=leaf.get("authentication", ""),
        filename=leaf.get("filename", ""),
        directory=leaf.get("directory", ""),
        caption=caption if parent is not None and parent.tag == "named-connection" else "",
        has_password=bool(leaf.get("password")),
        has_initial_sql=bool((leaf.get("one-time-sql") or "").strip()),
        line=line_of(leaf),
    )


def _relations(
    conn: etree._Element | None, object_graph: etree._Element | None
) -> Iterator[Relation]:
    """Every relation of the live connection, containers (join/union/collection) included.

    Falls back to the object graph's live relations when the connection has none
    (seen in hand-edited 2020.2+ files).
    """
    tops: list[etree._Element] = list(conn.iterchildren("relation")) if conn is not None else []
    if not tops and object_graph is not None:
        tops = [
            rel
            for props in object_graph.iterfind("objects/object/properties")
            if not props.get("context")
            for rel in props.iterchildren("relation")
        ]
    for top in tops:
        for rel in top.iter("relation"):
            yield relation_of(rel)


def _column_records(conn: etree._Element | None) -> list[dict[str, str]]:
    """``metadata-record[@class='column']`` under the live connection, as tag → text dicts.

    Published (``sqlproxy``) sources also list their measures as ``class='measure'``.
    """
    if conn is None:
        return []
    classes = _PROXY_RECORD_CLASSES if conn.get("class") == "sqlproxy" else _RECORD_CLASSES
    return column_records(conn, classes)


def _physical_columns(
    conn: etree._Element | None,
    records: Iterable[dict[str, str]],
    children: _Children,
    calculations: set[str],
) -> tuple[Column, ...]:
    """Columns from metadata-records, then text-file relation columns, then bare overrides.

    Calculated fields are left out: published sources list them among their records.
    """
    overrides = children.overrides
    found: dict[str, Column] = {}
    remote_keys: set[tuple[str, str]] = set()
    for record in records:
        name = unbracket(record.get("local-name"))
        if not name or name in found or name in calculations:
            continue
        table = unbracket(record.get("parent-name")) or unbracket(record.get("object-id"))
        remote = record.get("remote-name", "")
        remote_keys.add((table, remote))
        line = record["line"]
        found[name] = _column(
            name, overrides.get(name), remote, table, record.get("local-type", ""),
            int(line) if line else None,
        )  # fmt: skip
    if conn is not None:
        _relation_columns(conn, found, remote_keys, overrides)
    if found:
        return tuple(found.values())
    for name, element in overrides.items():
        # NOTE: without any metadata-record, a non-calculated <column> is the only trace of a
        # physical field (hand-made and Hyper-API-built .tds files).
        if element in children.calculations or _is_pseudo(name):
            continue
        found[name] = _column(name, element, "", "", "", line_of(element))
    return tuple(found.values())


def _relation_columns(
    conn: etree._Element,
    found: dict[str, Column],
    remote_keys: set[tuple[str, str]],
    overrides: dict[str, etree._Element],
) -> None:
    """``relation/columns/column`` of text and Excel files, when no record covers them."""
    for rel in conn.iter("relation"):
        for col in rel.iterfind("columns/column"):
            name = col.get("name", "")
            table = rel.get("name", "")
            if not name or name in found or (table, name) in remote_keys:
                continue
            found[name] = _column(
                name, overrides.get(name), name, table, col.get("datatype", ""), line_of(col)
            )


def _column(
    name: str,
    override: etree._Element | None,
    remote: str,
    table: str,
    datatype: str,
    line: int | None,
) -> Column:
    caption = name
    hidden = False
    if override is not None:
        caption = override.get("caption") or name
        hidden = override.get("hidden") == _TRUE
        datatype = datatype or override.get("datatype", "")
    return Column(
        name=name,
        caption=caption,
        remote_name=remote,
        table=table,
        datatype=datatype,
        hidden=hidden,
        line=line,
    )


def _is_pseudo(name: str) -> bool:
    """Names that are not physical fields (tableau-format.md §0 rule 3, §11)."""
    return (
        name.startswith(("[", ":", _PSEUDO_PREFIX))
        or name.endswith("(generated)")
        or name in _PSEUDO_NAMES
    )


def _calculations(children: _Children, conn: etree._Element | None) -> tuple[Calculation, ...]:
    """``column[calculation]`` (incl. bins) plus pre-10 ``connection/calculations``."""
    calcs: dict[str, Calculation] = {}
    captions: dict[str, str] = {}
    by_column = children.calculations
    for name, column in children.columns:
        captions[name] = column.get("caption", "")
        calc = by_column.get(column)
        if calc is None or not name or name in calcs:
            continue
        calc_class = calc.get("class", "tableau")
        formula = calc.get("formula")
        if formula is None:  # categorical bins name their source field in @column
            formula = calc.get("column", "")
        calcs[name] = Calculation(
            name=name,
            caption=captions[name] or name,
            formula=formula,
            calc_class=calc_class,
            datatype=column.get("datatype", ""),
            hidden=column.get("hidden") == _TRUE,
            line=line_of(column),
        )
    if conn is not None:
        for calc in conn.iterfind("calculations/calculation"):
            name = unbracket(calc.get("column"))
            if name and name not in calcs:
                calcs[name] = Calculation(
                    name=name,
                    caption=captions.get(name) or name,
                    formula=calc.get("formula", ""),
                    calc_class=calc.get("class", "tableau"),
                    line=line_of(calc),
                )
    return tuple(calcs.values())


def _group(element: etree._Element, instances: Mapping[str, str]) -> Group:
    """A set or combined field and the local fields it is built on."""
    name = unbracket(element.get("name"))
    refs: dict[str, None] = {}
    for gf in element.iter("groupfilter"):
        _add_refs(refs, gf, instances)
    return Group(
        name=name,
        caption=element.get("caption") or name,
        references=tuple(refs),
        hidden=element.get("hidden") == _TRUE,
        line=line_of(element),
    )


def _add_refs(refs: dict[str, None], element: etree._Element, instances: Mapping[str, str]) -> None:
    """Local field names referenced by a ``groupfilter``/``filter`` element's attributes.

    Member values (``member=``) are data and never read.
    """
    for attr in ("level", "column"):
        value = element.get(attr)
        if value:
            parts = split_qualified(value)
            if parts:  # ``[ds].[field]`` keeps the field part
                refs.setdefault(_field_of(parts[-1], instances))
    for attr in ("expression", "count"):
        value = element.get(attr)
        if value:
            for ref in formula_references(value):
                if ref.datasource is None:
                    refs.setdefault(_field_of(ref.field, instances))


def _field_of(name: str, instances: Mapping[str, str]) -> str:
    """The field behind a column-instance name (``none:City:nk`` → ``City``).

    Declared instances are resolved through their ``column`` attribute (tableau-format.md §8);
    an undeclared one falls back to its ``<derivation>:<field>:<type>`` shape.
    """
    if name in instances:
        return instances[name]
    match = _INSTANCE_NAME.fullmatch(name)
    return match.group(1) if match else name


def _filter_fields(
    filters: Iterable[etree._Element], instances: Mapping[str, str]
) -> tuple[str, ...]:
    """Fields that data-source filters (often row-level security) reference."""
    refs: dict[str, None] = {}
    for element in filters:
        for node in element.iter("filter", "groupfilter"):
            _add_refs(refs, node, instances)
    return tuple(refs)


def _published(
    leaves: Iterable[etree._Element], repository: etree._Element | None
) -> PublishedRef | None:
    """A reference to a published data source: a ``sqlproxy`` connection (with its location)."""
    proxy = next((leaf for leaf in leaves if leaf.get("class") == "sqlproxy"), None)
    if proxy is None:
        return None
    repo = repository
    repo_id = repo.get("id", "") if repo is not None else ""
    return PublishedRef(
        name=repo_id or proxy.get("dbname", "") or proxy.get("server-ds-friendly-name", ""),
        server=proxy.get("server", ""),
        site=repo.get("site", "") if repo is not None else "",
        path=repo.get("path", "") if repo is not None else "",
    )
