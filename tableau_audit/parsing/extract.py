"""The extract a data source reads: its definition, column mapping and packaged file.

Evidence-backed rules from tableau-format.md §10 and §16 (R1-R3):

* an ``<extract enabled='true'>`` wins; its ``metadata-record`` elements map each workbook
  field (``local-name``) to the column in the extract (``remote-name``), in the table named by
  the extract relation (``[Extract].[Extract]``), or by ``cols/map`` for multi-table extracts;
* otherwise a *live* connection of class ``hyper``/``dataengine`` reads an extract file
  directly (``live=True``), mapped through the live metadata-records and relations;
* otherwise a stale ``enabled='false'`` definition is kept as ``DISABLED``;
* the file is looked up among the package members: exact name, then after the cp437 repair,
  then by base name as a last resort.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

from lxml import etree

from tableau_audit.model import (
    Extract,
    ExtractColumn,
    ExtractFormat,
    ExtractStatus,
    PackagedFile,
    Relation,
)
from tableau_audit.parsing.names import dotted, line_of, split_qualified, unbracket
from tableau_audit.parsing.package import Package
from tableau_audit.records import frozen

__all__ = ["EXTRACT_CLASSES", "ExtractInputs", "build_extract", "column_records", "relation_of"]

EXTRACT_CLASSES = frozenset({"hyper", "dataengine"})
"""Connection classes that read an extract file."""
_COLUMN_CLASS = frozenset({"column"})
_RECORD_FIELDS = ("local-name", "parent-name", "object-id", "remote-name", "local-type")
"""The children of a ``metadata-record`` that the model reads."""


@frozen
class ExtractInputs:
    """What :func:`build_extract` needs from one data source."""

    extracts: tuple[etree._Element, ...]
    """``<extract>`` children of the data source."""
    leaves: tuple[etree._Element, ...]
    """Live leaf connections."""
    live_relations: tuple[Relation, ...]
    live_records: tuple[Mapping[str, str], ...]
    """Live ``metadata-record[@class='column']`` as child tag → text."""


def build_extract(inputs: ExtractInputs, *, package: Package | None) -> Extract | None:
    """The extract the data source reads, or None when it reads none."""
    defined = [e for e in inputs.extracts if e.find("connection") is not None]
    enabled = [e for e in defined if e.get("enabled") != "false"]
    if enabled:
        return _defined(enabled[0], enabled=True, package=package)
    live = _live(inputs, package)
    if live is not None:
        return live
    if defined:
        return _defined(defined[0], enabled=False, package=package)
    return None


def _defined(element: etree._Element, *, enabled: bool, package: Package | None) -> Extract:
    """An ``<extract>`` element: its connection, mapping and row count."""
    conn = element.find("connection")
    assert conn is not None  # callers only pass extracts that have one
    tables = _relation_tables(relation_of(r) for r in conn.iter("relation"))
    schema = conn.get("schema", "")
    default = _default_table(tables, schema, conn.get("tablename", ""))
    columns: dict[str, ExtractColumn] = {}
    for fields in column_records(conn, _COLUMN_CLASS):
        local = unbracket(fields.get("local-name"))
        if local and local not in columns:
            parent = unbracket(fields.get("parent-name"))
            columns[local] = ExtractColumn(
                local_name=local,
                remote_name=fields.get("remote-name", ""),
                table=_table_for(parent, tables, default, schema),
            )
    for entry in conn.iterfind("cols/map"):
        local = unbracket(entry.get("key"))
        parts = split_qualified(entry.get("value", ""))
        if local and local not in columns and len(parts) >= 2:
            columns[local] = ExtractColumn(
                local_name=local,
                remote_name=parts[-1],
                table=_table_for(parts[-2], tables, default, schema),
            )
    dbname = conn.get("dbname", "")
    status, member = _status(dbname, enabled=enabled, package=package)
    return Extract(
        dbname=dbname,
        connection_class=conn.get("class", ""),
        enabled=enabled,
        columns=tuple(columns.values()),
        row_count_hint=_rows_inserted(element),
        status=status,
        file=member,
        line=line_of(element),
    )


def _live(inputs: ExtractInputs, package: Package | None) -> Extract | None:
    """A live hyper/dataengine connection used as the extract (tableau-format.md §5, §16 R1)."""
    candidates = [leaf for leaf in inputs.leaves if leaf.get("class") in EXTRACT_CLASSES]
    if not candidates:
        return None
    chosen = candidates[0]
    if package is not None:
        # NOTE: with several extract connections (cross-database joins of .hyper files), the
        # first one that ships in the package is the one worth auditing.
        chosen = next((c for c in candidates if package.resolve(c.get("dbname", ""))), chosen)
    named = chosen.getparent()
    conn_name = (
        named.get("name", "") if named is not None and named.tag == "named-connection" else ""
    )
    relations = [r for r in inputs.live_relations if not conn_name or r.connection == conn_name]
    tables = _relation_tables(relations)
    schema = chosen.get("schema", "")
    default = _default_table(tables, schema, chosen.get("tablename", ""))
    columns: dict[str, ExtractColumn] = {}
    for record in inputs.live_records:
        local = unbracket(record.get("local-name"))
        parent = unbracket(record.get("parent-name"))
        if not local or local in columns or (tables and parent and parent not in tables):
            continue
        columns[local] = ExtractColumn(
            local_name=local,
            remote_name=record.get("remote-name", ""),
            table=_table_for(parent, tables, default, schema),
        )
    dbname = chosen.get("dbname", "")
    status, member = _status(dbname, enabled=True, package=package)
    return Extract(
        dbname=dbname,
        connection_class=chosen.get("class", ""),
        live=True,
        columns=tuple(columns.values()),
        status=status,
        file=member,
        line=line_of(chosen),
    )


def column_records(conn: etree._Element, classes: Container[str | None]) -> list[dict[str, str]]:
    """``metadata-record`` elements under ``conn`` whose ``class`` is in ``classes``.

    Each record is a dict of child tag → text (for the children in ``_RECORD_FIELDS``) plus
    ``line``, the record's source line as text.
    """
    records: dict[etree._Element, dict[str, str]] = {}
    # NOTE: one walk yields the records and the children the model reads; visiting every
    # child of every record from Python cost twice as much. A child is matched to its record
    # through the record's element, kept alive as the key (lxml then returns that same object).
    for node in conn.iter("metadata-record", *_RECORD_FIELDS):
        if node.tag == "metadata-record":
            if node.get("class") in classes:
                records[node] = {"line": str(line_of(node) or "")}
            continue
        parent = node.getparent()
        fields = records.get(parent) if parent is not None else None
        if fields is not None:
            fields[str(node.tag)] = node.text or ""
    return list(records.values())


def relation_of(rel: etree._Element) -> Relation:
    """One ``<relation>`` element as a :class:`Relation` (``table`` as written in the XML)."""
    rel_type = rel.get("type", "table")
    return Relation(
        name=rel.get("name", ""),
        relation_type=rel_type,
        table=rel.get("table", ""),
        connection=rel.get("connection", ""),
        custom_sql=(rel.text or "") if rel_type == "text" else None,
        line=line_of(rel),
    )


def _relation_tables(relations: Iterable[Relation]) -> dict[str, str]:
    """Relation name → ``schema.table`` for the table relations."""
    return {
        r.name: dotted(r.table)
        for r in relations
        if r.relation_type == "table" and r.name and r.table
    }


def _default_table(tables: Mapping[str, str], schema: str, tablename: str) -> str:
    """The table every column lives in when the extract has exactly one."""
    distinct = set(tables.values())
    if len(distinct) == 1:
        return next(iter(distinct))
    if not distinct and tablename:
        return f"{schema}.{tablename}" if schema else tablename
    return ""


def _table_for(parent: str, tables: Mapping[str, str], default: str, schema: str) -> str:
    if parent in tables:
        return tables[parent]
    if default:
        return default
    if parent:
        return f"{schema}.{parent}" if schema else parent
    return ""


def _status(
    dbname: str, *, enabled: bool, package: Package | None
) -> tuple[ExtractStatus, PackagedFile | None]:
    """Whether the extract file ships with the item, and which member it is."""
    member = package.resolve(dbname) if package is not None and dbname else None
    if not enabled:
        return ExtractStatus.DISABLED, member
    if package is None:
        return ExtractStatus.NOT_PACKAGED, None
    if member is None:
        return ExtractStatus.MISSING, None
    if member.size == 0 or member.extract_format is ExtractFormat.EMPTY:
        return ExtractStatus.EMPTY, member
    return ExtractStatus.PACKAGED, member


def _rows_inserted(element: etree._Element) -> int | None:
    """Rows after the refresh history: the last full ``create`` plus later increments."""
    total: int | None = None
    for event in element.iter("refresh-event"):
        rows = _to_int(event.get("rows-inserted"))
        if rows is None:
            continue
        if event.get("refresh-type") == "create" or total is None:
            total = rows
        else:
            total += rows
    return total


def _to_int(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())
