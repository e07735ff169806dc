"""Build real .hyper files for tests with tableauhyperapi (no mocks).

Usage, one hyperd for many files (keep test sessions cheap)::

    with HyperBuilder() as build:
        build(tmp / "a.hyper", {("Extract", "Extract"): ([("Name", "TEXT")], [("Ann",)])})

or a one-off ``make_hyper(path, tables)`` that starts its own hyperd.

``tables`` maps ``(schema, table)`` to ``(columns, rows)``: ``columns`` is a list of
``(name, SQL type)`` (``TEXT``, ``BIGINT``, ``INT``, ``DOUBLE PRECISION``, ``NUMERIC(18,2)``,
``DATE``, ``TIMESTAMP``, ``BOOL``, ``VARCHAR(20)``, ...); ``rows`` is either a list of tuples of
Python values (``None`` is NULL; dates as ``datetime.date``) or a ``SELECT`` statement string
whose result is inserted, which is the fast way to make large tables, e.g.
``"SELECT 'user' || g, g FROM generate_series(1, 200000) AS s(g)"``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

from fixtures.samples.hyperfile import HyperWriter

ColumnSpec: TypeAlias = tuple[str, str]
Rows: TypeAlias = Sequence[tuple[Any, ...]] | str
TableSpec: TypeAlias = tuple[Sequence[ColumnSpec], Rows]
Tables: TypeAlias = Mapping[tuple[str, str], TableSpec]


def _quote(name: str) -> str:
    from tableauhyperapi import escape_name

    return str(escape_name(name))


class HyperBuilder:
    """A context manager holding one hyperd (telemetry off, log off) that writes .hyper files.

    The hyperd is the fixtures generator's (:class:`fixtures.samples.hyperfile.HyperWriter`);
    this builder adds SQL-typed columns and ``INSERT ... SELECT`` rows.
    """

    def __init__(self) -> None:
        self._writer: HyperWriter | None = None

    def __enter__(self) -> HyperBuilder:
        self._writer = HyperWriter().__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.__exit__(exc_type, exc, tb)

    def __call__(self, path: Path, tables: Tables) -> Path:
        """Write ``tables`` to a new .hyper at ``path`` (replaced if it exists)."""
        from tableauhyperapi import Connection, CreateMode, Inserter, TableName

        if self._writer is None:
            raise RuntimeError("HyperBuilder is not open; use it as a context manager")
        path.parent.mkdir(parents=True, exist_ok=True)
        with Connection(self._writer.endpoint, str(path), CreateMode.CREATE_AND_REPLACE) as conn:
            for schema in sorted({schema for schema, _ in tables}):
                conn.execute_command(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
            for (schema, table), (columns, rows) in tables.items():
                name = TableName(schema, table)
                ddl = ", ".join(f"{_quote(col)} {sql_type}" for col, sql_type in columns)
                conn.execute_command(f"CREATE TABLE {name} ({ddl})")
                if isinstance(rows, str):
                    conn.execute_command(f"INSERT INTO {name} {rows}")
                elif rows:
                    definition = conn.catalog.get_table_definition(name)
                    with Inserter(conn, definition) as inserter:
                        inserter.add_rows(rows)
                        inserter.execute()
        return path


def make_hyper(path: Path, tables: Tables, *, builder: HyperBuilder | None = None) -> Path:
    """Write a .hyper file; starts (and stops) its own hyperd unless ``builder`` is given."""
    if builder is not None:
        return builder(path, tables)
    with HyperBuilder() as own:
        return own(path, tables)


def hyperd_children() -> set[int]:
    """Pids of the hyperd processes whose parent is this test process (Linux /proc; else empty)."""
    if not sys.platform.startswith("linux"):
        return set()
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                name = (entry / "comm").read_text().strip()
            except (OSError, IndexError, ValueError):
                continue
            if parent == os.getpid() and name.startswith("hyperd"):
                pids.add(int(entry.name))
    return pids
