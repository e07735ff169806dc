"""Join what an extract file really holds with the data source that reads it.

Three jobs, all after the .hyper was read (tableau-format.md §16):

* columns physically in the .hyper that the XML never mentions become ``Column`` objects with
  ``extract_only=True``: they ship with the workbook although nothing in it explains them;
* calculations the extract materialised (mapped by the extract metadata, present in the .hyper)
  become ``Column`` objects too: their values are in the file like any column's;
* sampled values are keyed by (data source, column) so that classification can find them.
  They stay in memory, in :class:`ExtractSamples`, whose ``repr`` shows counts only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from tableau_audit.model import Column, Datasource, ExtractColumn, HyperTable

SampleKey = tuple[str, str]
"""``(data-source internal name, column local name)``."""


@dataclass(frozen=True, slots=True, repr=False, eq=False)
class ExtractSamples:
    """Sampled values per column of an item, as text. In memory only, never in a report."""

    values: Mapping[SampleKey, tuple[str, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def get(self, datasource: str, column: str) -> tuple[str, ...] | None:
        """Values of one column, None when it was not sampled."""
        return self.values.get((datasource, column))

    def __repr__(self) -> str:
        total = sum(len(v) for v in self.values.values())
        return f"ExtractSamples(columns={len(self.values)}, values={total})"


class SampleSource(Protocol):
    """What a sampler returns per (``schema.table``, column): ``ValueSample.get``."""

    def get(self, table: str, column: str) -> tuple[str, ...] | None:
        """Values of one column of one table."""
        ...


def _table_index(tables: Iterable[HyperTable]) -> dict[str, HyperTable]:
    """Tables by folded ``schema.table`` and by folded bare name (single-table files)."""
    index: dict[str, HyperTable] = {}
    for table in tables:
        index[table.qualified_name.casefold()] = table
        index.setdefault(table.name.casefold(), table)
    return index


def _find_table(
    index: Mapping[str, HyperTable], tables: tuple[HyperTable, ...], name: str
) -> HyperTable | None:
    key = name.strip().strip("[]").replace("].[", ".").casefold()
    if key in index:
        return index[key]
    return tables[0] if len(tables) == 1 else None


def with_undescribed_columns(ds: Datasource) -> Datasource:
    """Add the .hyper columns that no extract mapping names, as ``extract_only`` columns."""
    extract = ds.extract
    if extract is None or extract.inventory is None or not extract.inventory.tables:
        return ds
    tables = extract.inventory.tables
    index = _table_index(tables)
    mapped: set[tuple[str, str]] = set()
    for mapping in extract.columns:
        table = _find_table(index, tables, mapping.table)
        if table is not None:
            mapped.add(
                (table.qualified_name, (mapping.remote_name or mapping.local_name).casefold())
            )
    taken = {c.name for c in ds.columns}
    extra_columns: list[Column] = []
    extra_mappings: list[ExtractColumn] = []
    for table in tables:
        for hyper_column in table.columns:
            if (table.qualified_name, hyper_column.name.casefold()) in mapped:
                continue
            local = (
                hyper_column.name
                if hyper_column.name not in taken
                else (f"{hyper_column.name} ({table.qualified_name})")
            )
            taken.add(local)
            extra_columns.append(
                Column(
                    name=local,
                    caption=local,
                    remote_name=hyper_column.name,
                    table=table.qualified_name,
                    datatype=hyper_column.sql_type.lower(),
                    extract_only=True,
                )
            )
            extra_mappings.append(
                ExtractColumn(
                    local_name=local, remote_name=hyper_column.name, table=table.qualified_name
                )
            )
    if not extra_columns:
        return ds
    new_extract = dataclasses.replace(extract, columns=(*extract.columns, *extra_mappings))
    return dataclasses.replace(ds, columns=(*ds.columns, *extra_columns), extract=new_extract)


def with_extracted_calculations(ds: Datasource) -> Datasource:
    """Add mapped .hyper columns that are no physical column of ``ds`` (calculations) as columns.

    Tableau materialises some calculated fields into the extract (``Number of Records`` in older
    files, *Compute Calculations Now*): the extract metadata maps them and the .hyper holds
    their values like any other column, so they are classified and reported like one.
    """
    extract = ds.extract
    if extract is None or extract.inventory is None or not extract.inventory.tables:
        return ds
    tables = extract.inventory.tables
    index = _table_index(tables)
    calculations = {calc.name: calc for calc in ds.calculations}
    taken = {c.name for c in ds.columns}
    added: list[Column] = []
    for mapping in extract.columns:
        table = _find_table(index, tables, mapping.table)
        if mapping.local_name in taken or table is None:
            continue
        remote = (mapping.remote_name or mapping.local_name).casefold()
        hyper_column = next((c for c in table.columns if c.name.casefold() == remote), None)
        if hyper_column is None:
            continue
        calc = calculations.get(mapping.local_name)
        taken.add(mapping.local_name)
        added.append(
            Column(
                name=mapping.local_name,
                caption=calc.caption if calc is not None else mapping.local_name,
                remote_name=hyper_column.name,
                table=table.qualified_name,
                datatype=(calc.datatype if calc is not None else "")
                or hyper_column.sql_type.lower(),
                hidden=calc.hidden if calc is not None else False,
                line=calc.line if calc is not None else None,
            )
        )
    return dataclasses.replace(ds, columns=(*ds.columns, *added)) if added else ds


def column_values(ds: Datasource, sample: SampleSource) -> dict[SampleKey, tuple[str, ...]]:
    """Sampled values of each mapped column of ``ds``, keyed by (data source, column)."""
    extract = ds.extract
    if extract is None or extract.inventory is None or not extract.inventory.tables:
        return {}
    tables = extract.inventory.tables
    index = _table_index(tables)
    found: dict[SampleKey, tuple[str, ...]] = {}
    for mapping in extract.columns:
        table = _find_table(index, tables, mapping.table)
        if table is None:
            continue
        remote = mapping.remote_name or mapping.local_name
        values = sample.get(table.qualified_name, remote)
        if values is None:  # Tableau folds case when it de-duplicates names (LAT vs Lat1)
            exact = next(
                (c.name for c in table.columns if c.name.casefold() == remote.casefold()), None
            )
            values = sample.get(table.qualified_name, exact) if exact else None
        if values is not None:
            found[(ds.name, mapping.local_name)] = values
    return found
