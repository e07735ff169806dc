"""SQL text for reading .hyper files: identifier quoting, row counts and bounded samples.

Kept apart from :mod:`tableau_audit.parsing.hyper` so the sampling arithmetic can be tested
without starting hyperd. Queries only ever contain *names* (schemas, tables, columns), quoted
with Hyper's own ``escape_name``; they never contain a data value, so hyperd's query log (which
is disabled anyway) could not hold one either.

Sampling plan (pii-detection.md §1 item 3, house-style "Security of the auditor itself"):

* a table with at most ``size`` rows is read whole, still under ``LIMIT size``;
* a larger table is read with ``TABLESAMPLE BERNOULLI(p) REPEATABLE(seed) LIMIT size``, where
  ``p`` expects ``size`` rows (×1.25) in ``window`` rows, or in the whole table when it is
  smaller. The scan stops at the ``LIMIT``, so Hyper decodes about ``window`` rows whatever the
  row count (Hyper scans morsels in parallel, so they are spread over the table rather than
  being strictly the first ones). Measured with hyperd 0.0.26963 on a 10M-row, 6-column extract:
  ~50 ms with the default window against ~0.5 s for a sample spread over all 10M rows, which
  decompresses every data block.
* ``REPEATABLE`` makes the draw deterministic, so two runs classify the same values.

Hyper implements ``SYSTEM`` and ``BERNOULLI`` the same way (row-level; identical rows for the same
seed), so ``BERNOULLI`` is used: its documented meaning is the one we rely on.
"""

from __future__ import annotations

from collections.abc import Sequence

from tableau_audit.records import frozen

__all__ = [
    "COLUMNS_QUERY",
    "DEFAULT_WINDOW_FACTOR",
    "OVERSAMPLE",
    "SAMPLE_SEED",
    "SEPARATOR",
    "UNSAMPLED_SQL_TYPES",
    "SamplePlan",
    "aggregated_query",
    "plan_sample",
    "quote_name",
    "row_counts_query",
    "sample_query",
    "table_ref",
]

OVERSAMPLE = 1.25
"""Draw a little more than ``size`` rows on average so the ``LIMIT`` is usually reached."""

DEFAULT_WINDOW_FACTOR = 100
"""Default scan window: this many times the sample size (100,000 rows for 1,000 values)."""

UNSAMPLED_SQL_TYPES = frozenset({"TABLEAU.TABGEOGRAPHY", "BYTES"})
"""Column types never sampled: no value validator applies to a geometry or to raw bytes, and one
geometry's text can run to megabytes (a country's outline). Such columns are judged by name."""

SAMPLE_SEED = 20_260
"""Fixed ``REPEATABLE`` seed: the sample is a pure function of the file."""


@frozen
class SamplePlan:
    """How one table is sampled."""

    percent: float | None
    """``TABLESAMPLE`` percentage, or None to read the (small) table under the limit alone."""
    limit: int
    """Maximum rows returned."""


def plan_sample(row_count: int, *, size: int, window: int) -> SamplePlan:
    """Sampling plan for a table of ``row_count`` rows: at most ``size`` rows, bounded cost."""
    if size < 1:
        raise ValueError("sample size must be at least 1")
    if window < size:
        raise ValueError("scan window must be at least the sample size")
    population = min(row_count, window)
    percent = 100.0 * OVERSAMPLE * size / population if population > 0 else 100.0
    if row_count <= size or percent >= 100.0:
        return SamplePlan(percent=None, limit=size)
    return SamplePlan(percent=percent, limit=size)


def quote_name(name: str) -> str:
    """A single identifier, quoted by Hyper's ``escape_name`` (doubles embedded quotes)."""
    from tableauhyperapi import escape_name

    return str(escape_name(name))


def table_ref(schema: str, table: str) -> str:
    """``"schema"."table"`` through Hyper's ``TableName`` (the one attached database)."""
    from tableauhyperapi import TableName

    return str(TableName(schema, table))


def sample_query(schema: str, table: str, columns: Sequence[str], plan: SamplePlan) -> str:
    """The bounded sample of ``columns``, every value cast to text."""
    if not columns:
        raise ValueError("at least one column is needed")
    projection = ", ".join(f"CAST({quote_name(c)} AS TEXT)" for c in columns)
    sampling = (
        ""
        if plan.percent is None
        else f" TABLESAMPLE BERNOULLI({plan.percent:.9f}) REPEATABLE({SAMPLE_SEED})"
    )
    target = table_ref(schema, table)
    return f"SELECT {projection} FROM {target}{sampling} LIMIT {plan.limit:d}"  # noqa: S608


# NOTE: every user table of the attached file (Hyper reserves these schema names: no user table
# can live in them). Two-part names resolve against the one attached database.
COLUMNS_QUERY = """\
SELECT n.nspname, c.relname, a.attname, a.atttypid, a.atttypmod
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
  ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_temp', 'tableau')
ORDER BY n.nspname, c.relname, a.attnum"""
"""Schema, table, column, type oid and type modifier of every column of every user table (one
row of NULLs after the table name for a table without columns, which Hyper allows)."""


def row_counts_query(tables: Sequence[tuple[str, str]]) -> str:
    """One row: ``COUNT(*)`` of each ``(schema, table)``, in order (metadata, no scan)."""
    if not tables:
        raise ValueError("at least one table is needed")
    # Names are quoted by TableName; no value is ever interpolated.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {table_ref(s, t)})" for s, t in tables)  # noqa: S608
    return f"SELECT {counts}"


SEPARATOR = "\x1f"
"""What :func:`aggregated_query` puts between a column's values (ASCII unit separator)."""


def aggregated_query(sample_sql: str, width: int) -> str:
    """One row for a whole sample: rows read, then per column its values joined and their count.

    Fetching one row instead of one per sampled row saves ~0.5 µs of Python per value. The
    non-NULL count lets the reader prove the split exact: a value that contains
    :data:`SEPARATOR` makes more parts than values, and the table is then read row by row.
    """
    if width < 1:
        raise ValueError("at least one column is needed")
    names = ", ".join(f"c{i}" for i in range(width))
    separator = f"E'\\x{ord(SEPARATOR):02x}'"  # the same character, as an escaped SQL literal
    per_column = ", ".join(f"string_agg(c{i}, {separator}), COUNT(c{i})" for i in range(width))
    return f"SELECT COUNT(*), {per_column} FROM ({sample_sql}) AS sampled({names})"  # noqa: S608
