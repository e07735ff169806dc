"""A standalone .hyper file as an auditable item (issue 2 scope 7).

Each table becomes one data source named ``schema.table`` whose physical columns are the
table's columns; its :class:`~tableau_audit.model.Extract` is packaged and carries that table's
inventory, so the extract-membership and row-count code treats it like a packaged extract.
Pure: no tableauhyperapi, no file system.
"""

from __future__ import annotations

from pathlib import PurePath

from tableau_audit.errors import ParseError
from tableau_audit.model import (
    ArtifactKind,
    Column,
    Connection,
    Datasource,
    Extract,
    ExtractColumn,
    ExtractStatus,
    HyperInventory,
    HyperTable,
    Relation,
    Workbook,
)

__all__ = ["standalone_workbook", "tableau_datatype"]

# Hyper API type names (``str(SqlType)``) → Tableau datatypes, by the part before any "(".
_DATATYPES: dict[str, str] = {
    "TEXT": "string",
    "VARCHAR": "string",
    "CHAR": "string",
    "JSON": "string",
    "BIG_INT": "integer",
    "INT": "integer",
    "SMALL_INT": "integer",
    "OID": "integer",
    "DOUBLE": "real",
    "FLOAT": "real",
    "NUMERIC": "real",
    "DATE": "date",
    "TIMESTAMP": "datetime",
    "TIMESTAMP_TZ": "datetime",
    "BOOL": "boolean",
    "TABLEAU.TABGEOGRAPHY": "spatial",
    "GEOGRAPHY": "spatial",
}


def tableau_datatype(sql_type: str) -> str:
    """Tableau's datatype for a Hyper SQL type (``NUMERIC(18, 2)`` → ``real``), else ``""``."""
    return _DATATYPES.get(sql_type.split("(", 1)[0].strip().upper(), "")


def _datasource(table: HyperTable, file_name: str) -> Datasource:
    qualified = table.qualified_name
    columns = tuple(
        Column(
            name=c.name,
            caption=c.name,
            remote_name=c.name,
            table=table.name,
            datatype=tableau_datatype(c.sql_type),
        )
        for c in table.columns
    )
    extract = Extract(
        dbname=file_name,
        connection_class="hyper",
        status=ExtractStatus.PACKAGED,
        # NOTE: only this table, so per-data-source row counts are not summed over the file.
        inventory=HyperInventory(tables=(table,)),
        columns=tuple(
            ExtractColumn(local_name=c.name, remote_name=c.name, table=qualified)
            for c in table.columns
        ),
        row_count_hint=table.row_count,
    )
    return Datasource(
        name=qualified,
        caption=qualified,
        connections=(Connection(connection_class="hyper", dbname=file_name, schema=table.schema),),
        relations=(
            Relation(
                name=table.name,
                relation_type="table",
                table=f"[{table.schema}].[{table.name}]",
            ),
        ),
        columns=columns,
        extract=extract,
    )


def standalone_workbook(source: str, inventory: HyperInventory) -> Workbook:
    """The item for a standalone .hyper: kind ``extract``, one data source per table.

    ``name`` is the file name without its suffix (as for workbooks); ``Extract.dbname`` is
    the file name.

    Raises :class:`ParseError` when the inventory carries an error (the file cannot be
    audited: TA901).
    """
    file_name = PurePath(source).name or source
    if inventory.error is not None:
        reason = inventory.error
        for prefix in (f"{source}: ", f"{file_name}: "):
            reason = reason.removeprefix(prefix)
        raise ParseError(source, reason)
    return Workbook(
        source=source,
        kind=ArtifactKind.EXTRACT,
        name=PurePath(file_name).stem or file_name,  # like workbooks: the file name, no suffix
        datasources=tuple(_datasource(table, file_name) for table in inventory.tables),
    )
