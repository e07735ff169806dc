"""What a .hyper file contains: its tables, their columns with SQL types, and row counts.

The Hyper API's catalog calls cost one round trip each (``get_schema_names``, then
``get_table_names`` per schema and ``get_table_definition`` per table, ~1.5 ms apiece in hyperd),
which made them a third of the time spent reading a typical extract. :func:`read_catalog` asks
Hyper's ``pg_catalog`` instead: one query for every column of every table, one for every row
count. Types are rebuilt as the API's own :class:`tableauhyperapi.SqlType` from the type oid and
modifier, so ``sql_type`` is the exact text the API gives. Whenever that fast path cannot answer
exactly (a type oid it does not know, a Hyper without these catalog tables), the API's calls are
used instead; tests/parsing/test_hyper_catalog.py holds both paths to the same answer.

Raises :class:`~.hyper_errors.ReadFailure` with a reason of our own (never Hyper's text, which
may quote data).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tableau_audit.model import HyperColumn, HyperTable
from tableau_audit.parsing.hyper_errors import ReadFailure, describe
from tableau_audit.parsing.hyper_sql import COLUMNS_QUERY, row_counts_query

if TYPE_CHECKING:
    from tableauhyperapi import Connection

__all__ = ["read_catalog", "read_catalog_with_api"]

ROW_COUNTS_PER_QUERY = 200
"""Tables counted per query: a file with thousands of tables still gets bounded statements."""

_UNSET_MODIFIER = -1
"""``pg_attribute.atttypmod`` of a type without a modifier (the API says 0xFFFFFFFF)."""


def read_catalog(connection: Connection) -> tuple[HyperTable, ...]:
    """Every table of the attached file, sorted by (schema, table), with columns and row counts."""
    listed = _columns_from_pg_catalog(connection)
    if listed is None:
        return read_catalog_with_api(connection)
    names = sorted(listed)
    counts = _row_counts(connection, names)
    return tuple(
        HyperTable(schema=schema, name=name, row_count=rows, columns=listed[(schema, name)])
        for (schema, name), rows in zip(names, counts, strict=True)
    )


def read_catalog_with_api(connection: Connection) -> tuple[HyperTable, ...]:
    """The same answer through the Hyper API's catalog calls (one round trip per call)."""
    from tableauhyperapi import TableName

    catalog = connection.catalog
    try:
        names = sorted(
            (schema.name.unescaped, table.name.unescaped)
            for schema in catalog.get_schema_names()
            for table in catalog.get_table_names(schema)
        )
    except Exception as error:  # hyperd and the file are untrusted: any failure is a reason
        raise ReadFailure(describe(error, "cannot read the .hyper catalog")) from None
    tables: list[HyperTable] = []
    for schema, name in names:
        try:
            definition = catalog.get_table_definition(TableName(schema, name))
        except Exception as error:
            raise ReadFailure(describe(error, f"cannot read table {schema}.{name}")) from None
        columns = tuple(
            HyperColumn(name=c.name.unescaped, sql_type=str(c.type)) for c in definition.columns
        )
        (rows,) = _row_counts(connection, [(schema, name)])
        tables.append(HyperTable(schema=schema, name=name, row_count=rows, columns=columns))
    return tuple(tables)


def _columns_from_pg_catalog(
    connection: Connection,
) -> dict[tuple[str, str], tuple[HyperColumn, ...]] | None:
    """(schema, table) → columns in table order, or None when the API must answer instead."""
    try:
        rows = connection.execute_list_query(COLUMNS_QUERY)
    except Exception:
        return None  # the API path reads the catalog again and words any real failure
    columns: dict[tuple[str, str], list[HyperColumn]] = {}
    for schema, table, column, type_oid, modifier in rows:
        found = columns.setdefault((schema, table), [])
        if column is None:
            continue  # a table without columns
        sql_type = _sql_type_text(int(type_oid), int(modifier))
        if sql_type is None:
            return None
        found.append(HyperColumn(name=column, sql_type=sql_type))
    return {key: tuple(found) for key, found in columns.items()}


def _row_counts(connection: Connection, names: Sequence[tuple[str, str]]) -> list[int]:
    counts: list[int] = []
    for start in range(0, len(names), ROW_COUNTS_PER_QUERY):
        chunk = names[start : start + ROW_COUNTS_PER_QUERY]
        try:
            (row,) = connection.execute_list_query(row_counts_query(chunk))
        except Exception as error:
            where = f"table {chunk[0][0]}.{chunk[0][1]}" if len(chunk) == 1 else "tables"
            raise ReadFailure(describe(error, f"cannot read {where}")) from None
        counts.extend(int(value) for value in row)
    return counts


def _sql_type_text(type_oid: int, modifier: int) -> str | None:
    """``str(SqlType)`` as the API would give it for a column, or None for an unknown oid."""
    from tableauhyperapi import SqlType

    known = _types_by_oid()
    if type_oid in known.fixed:
        return known.fixed[type_oid]
    tag = known.with_modifier.get(type_oid)
    if tag is None or modifier == _UNSET_MODIFIER:
        return None
    # NOTE: the API builds its SqlType from the same oid and (unsigned) modifier.
    return str(SqlType(tag, modifier & 0xFFFFFFFF, type_oid))


@dataclass(frozen=True, slots=True)
class _KnownTypes:
    fixed: Mapping[int, str]
    """Oids whose text needs no modifier (``INT``, ``CHAR(1)``...) → that text."""
    with_modifier: Mapping[int, Any]
    """Oids whose text needs the modifier (CHAR(n), VARCHAR(n), NUMERIC(p, s)) → TypeTag."""


@functools.cache
def _types_by_oid() -> _KnownTypes:
    """The API's own types, keyed by the oid it gives them (built once, from public factories)."""
    from tableauhyperapi import SqlType

    plain = [
        SqlType.bool(),
        SqlType.small_int(),
        SqlType.int(),
        SqlType.big_int(),
        SqlType.float(),
        SqlType.double(),
        SqlType.oid(),
        SqlType.date(),
        SqlType.time(),
        SqlType.timestamp(),
        SqlType.timestamp_tz(),
        SqlType.interval(),
        SqlType.text(),
        SqlType.json(),
        SqlType.tabgeography(),
        SqlType.bytes(),
        SqlType.char(1),  # CHAR(1) has an oid of its own and no modifier in pg_attribute
    ]
    modified = [SqlType.char(2), SqlType.varchar(2), SqlType.numeric(18, 2)]
    return _KnownTypes(
        fixed={t.internal_oid: str(t) for t in plain},
        with_modifier={t.internal_oid: t.tag for t in modified},
    )
