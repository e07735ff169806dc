"""Which columns are physically in an extract (tableau-format.md §16 R1–R3). Pure.

The extract metadata in the XML maps each workbook field to a table and column of the extract
file. When the .hyper itself was read, its real catalogue wins: a column is in the extract when
the mapped table holds the mapped column.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tableau_audit.findings import ExtractReport
from tableau_audit.model import (
    Column,
    Datasource,
    Extract,
    ExtractStatus,
    HyperInventory,
    HyperTable,
    PackagedFileKind,
    Workbook,
)


def _normalise(name: str) -> str:
    return name.strip().strip("[]").replace("].[", ".").casefold()


def _mapped_in_inventory(extract: Extract, inventory: HyperInventory) -> set[str]:
    """Local names whose mapped (table, column) exists in the .hyper."""
    return set(_locations_in_inventory(extract, inventory))


def _locations_in_inventory(
    extract: Extract, inventory: HyperInventory
) -> dict[str, tuple[str, str]]:
    """Local name → (``schema.table``, column as spelled in the .hyper) for mapped columns.

    Names match case-insensitively (Tableau folds case when it de-duplicates ``LAT``/``Lat1``);
    a mapping whose table is unknown is looked up in every table, first table first.
    """
    by_table: dict[str, list[HyperTable]] = {}
    for table in inventory.tables:
        by_table.setdefault(table.qualified_name.casefold(), []).append(table)
        by_table.setdefault(table.name.casefold(), []).append(table)
    found: dict[str, tuple[str, str]] = {}
    for mapping in extract.columns:
        remote = mapping.remote_name or mapping.local_name
        key = _normalise(mapping.table)
        candidates = by_table.get(key, inventory.tables) if key else inventory.tables
        location = _find_column(candidates, remote)
        if location is not None:
            found[mapping.local_name] = location
    return found


def _find_column(tables: Sequence[HyperTable], remote: str) -> tuple[str, str] | None:
    """The first table holding ``remote``: exact spelling first, then ignoring case."""
    for exact in (True, False):
        for table in tables:
            for column in table.columns:
                if column.name == remote or (
                    not exact and column.name.casefold() == remote.casefold()
                ):
                    return table.qualified_name, column.name
    return None


def extract_locations(ds: Datasource) -> Mapping[str, tuple[str, str]]:
    """Where each column of ``ds`` sits in its read .hyper: local name → (table, column).

    Empty when the data source has no extract or its .hyper was not read. A column is here
    exactly when :func:`columns_in_extract` counts it from the .hyper.
    """
    extract = ds.extract
    if extract is None or extract.status is ExtractStatus.DISABLED:
        return {}
    inventory = usable_inventory(extract)
    return _locations_in_inventory(extract, inventory) if inventory is not None else {}


def usable_inventory(extract: Extract) -> HyperInventory | None:
    """The extract's .hyper catalogue when it was read successfully."""
    inventory = extract.inventory
    if inventory is None or inventory.error is not None or not inventory.tables:
        return None
    return inventory


def columns_in_extract(ds: Datasource) -> frozenset[str] | None:
    """Local names of the data source's columns that are in its extract; None without extract."""
    extract = ds.extract
    if extract is None or extract.status is ExtractStatus.DISABLED:
        return None
    inventory = usable_inventory(extract)
    if inventory is not None:
        return frozenset(_mapped_in_inventory(extract, inventory))
    if extract.status in (ExtractStatus.MISSING, ExtractStatus.EMPTY):
        return frozenset()
    return frozenset(m.local_name for m in extract.columns)


def extract_membership(wb: Workbook) -> Mapping[tuple[str, str], bool]:
    """Per (data-source name, column name): whether the column is in the extract."""
    membership: dict[tuple[str, str], bool] = {}
    for ds in wb.datasources:
        present = columns_in_extract(ds)
        if present is None:
            continue
        for col in ds.columns:
            membership[(ds.name, col.name)] = col.name in present
    return membership


def extract_row_count(wb: Workbook) -> int | None:
    """Total rows across the item's readable extracts (or the XML's row hints), None if none."""
    total: int | None = None
    for ds in wb.datasources:
        if ds.extract is None:
            continue
        inventory = usable_inventory(ds.extract)
        rows = (
            sum(t.row_count for t in inventory.tables)
            if inventory is not None
            else ds.extract.row_count_hint
        )
        if rows is not None:
            total = (total or 0) + rows
    return total


def extract_reports(
    wb: Workbook, confidential: Callable[[Datasource, Column], bool]
) -> tuple[ExtractReport, ...]:
    """One summary per data source with an extract: rows, columns, confidential columns."""
    reports: list[ExtractReport] = []
    for ds in wb.datasources:
        extract = ds.extract
        if extract is None:
            continue
        present = columns_in_extract(ds) or frozenset()
        inventory = usable_inventory(extract)
        reports.append(
            ExtractReport(
                datasource=ds.caption,
                file=extract.file.path if extract.file is not None else extract.dbname,
                status=extract.status.value,
                readable=inventory is not None,
                tables=len(inventory.tables) if inventory is not None else 0,
                rows=(
                    sum(t.row_count for t in inventory.tables)
                    if inventory is not None
                    else extract.row_count_hint
                ),
                columns=len(present),
                undescribed_columns=sum(1 for c in ds.columns if c.extract_only),
                confidential_columns=sum(
                    1 for c in ds.columns if c.name in present and confidential(ds, c)
                ),
            )
        )
    return tuple(reports)


def ships_packaged_file(wb: Workbook, ds: Datasource) -> bool:
    """True when a file connection of ``ds`` reads a raw data file packed into the package."""
    packed = {
        member.path.rsplit("/", 1)[-1].casefold()
        for member in wb.package
        if member.kind is PackagedFileKind.RAW_DATA
    }
    return any(
        conn.filename and conn.filename.replace("\\", "/").rsplit("/", 1)[-1].casefold() in packed
        for conn in ds.connections
    )
