"""What a read .hyper adds to its data source, and where each column sits in it (no hyperd)."""

from __future__ import annotations

from tableau_audit.extracts import columns_in_extract, extract_locations
from tableau_audit.model import (
    Calculation,
    Column,
    Datasource,
    Extract,
    ExtractColumn,
    ExtractStatus,
    HyperColumn,
    HyperInventory,
    HyperTable,
)
from tableau_audit.parsing.extract_contents import (
    with_extracted_calculations,
    with_undescribed_columns,
)


def _table(name: str, *columns: str) -> HyperTable:
    return HyperTable(
        schema="Extract",
        name=name,
        row_count=10,
        columns=tuple(HyperColumn(name=c, sql_type="TEXT") for c in columns),
    )


def _datasource(
    columns: tuple[str, ...],
    mappings: tuple[tuple[str, str, str], ...],
    tables: tuple[HyperTable, ...],
    calculations: tuple[Calculation, ...] = (),
) -> Datasource:
    return Datasource(
        name="federated.1",
        caption="Stocks",
        columns=tuple(Column(name=c, caption=c, remote_name=c) for c in columns),
        calculations=calculations,
        extract=Extract(
            dbname="Data/Extracts/x.hyper",
            connection_class="hyper",
            status=ExtractStatus.PACKAGED,
            columns=tuple(
                ExtractColumn(local_name=local, remote_name=remote, table=table)
                for local, remote, table in mappings
            ),
            inventory=HyperInventory(tables=tables),
        ),
    )


NUMREC = Calculation(
    name="Number of Records", caption="Number of Records", formula="1", datatype="integer"
)


def test_a_materialised_calculation_becomes_a_column_of_the_extract() -> None:
    ds = _datasource(
        ("Close", "Company"),
        (
            ("Close", "Close", "[Extract].[Extract]"),
            ("Company", "Company", "[Extract].[Extract]"),
            ("Number of Records", "Number of Records", "[Extract].[Extract]"),
        ),
        (_table("Extract", "Close", "Company", "Number of Records"),),
        (NUMREC,),
    )
    read = with_undescribed_columns(with_extracted_calculations(ds))
    [added] = [c for c in read.columns if c.name == "Number of Records"]
    assert (added.datatype, added.table, added.extract_only) == (
        "integer",
        "Extract.Extract",
        False,
    )
    assert columns_in_extract(read) == frozenset({"Close", "Company", "Number of Records"})
    assert dict(extract_locations(read)) == {
        "Close": ("Extract.Extract", "Close"),
        "Company": ("Extract.Extract", "Company"),
        "Number of Records": ("Extract.Extract", "Number of Records"),
    }


def test_a_mapping_whose_column_is_not_in_the_hyper_adds_nothing() -> None:
    ds = _datasource(
        ("Close",),
        (("Close", "Close", "Extract.Extract"), ("Number of Records", "NoR", "Extract.Extract")),
        (_table("Extract", "Close"),),
        (NUMREC,),
    )
    assert with_extracted_calculations(ds) is ds


def test_locations_use_the_hyper_spelling_and_the_mapped_table() -> None:
    """Renamed duplicates (``LAT``/``Lat1``) and two tables holding the same column name."""
    ds = _datasource(
        ("Lat", "Lat (offices)", "Phone", "Phone (offices)"),
        (
            ("Lat", "lat", "Extract.people"),
            ("Lat (offices)", "Lat1", "Extract.offices"),
            ("Phone", "Phone", "[Extract].[people]"),
            ("Phone (offices)", "Phone", "offices"),
        ),
        (_table("people", "LAT", "Phone"), _table("offices", "Lat1", "Phone")),
    )
    assert dict(extract_locations(ds)) == {
        "Lat": ("Extract.people", "LAT"),
        "Lat (offices)": ("Extract.offices", "Lat1"),
        "Phone": ("Extract.people", "Phone"),
        "Phone (offices)": ("Extract.offices", "Phone"),
    }
    assert columns_in_extract(ds) == frozenset(extract_locations(ds))


def test_no_locations_without_a_read_hyper() -> None:
    ds = _datasource(("Close",), (("Close", "Close", "Extract.Extract"),), ())
    assert dict(extract_locations(ds)) == {}
    # The XML mapping alone still tells what is in the extract.
    assert columns_in_extract(ds) == frozenset({"Close"})
