"""The .hyper catalog: the one-query ``pg_catalog`` path gives exactly the Hyper API's answer.

Both paths read real files through a raw tableauhyperapi connection: a fixture with every column
type the API knows (CHAR(1) has an oid of its own), awkward schema and table names, an empty
table and an empty file, then every readable extract of the corpus.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tableau_audit.model import HyperTable
from tableau_audit.parsing import hyper_catalog
from tableau_audit.parsing.hyper_catalog import (
    read_catalog,
    read_catalog_with_api,
)
from tableau_audit.parsing.hyper_errors import ReadFailure
from tests.hyperfactory import HyperBuilder, Tables

pytestmark = pytest.mark.hyper

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus" / "files"

EVERY_TYPE: Tables = {
    ("public", "every type"): (
        [
            ("t", "TEXT"),
            ("c1", "CHAR(1)"),
            ("c3", "CHAR(3)"),
            ("vc", "VARCHAR(20)"),
            ("n", "NUMERIC(18,2)"),
            ("n9", "NUMERIC(9,0)"),
            ("bi", "BIGINT"),
            ("i", "INT"),
            ("si", "SMALLINT"),
            ("d", "DOUBLE PRECISION"),
            ("b", "BOOL"),
            ("dt", "DATE"),
            ("tm", "TIME"),
            ("ts", "TIMESTAMP"),
            ("tz", "TIMESTAMPTZ"),
            ("iv", "INTERVAL"),
            ("j", "JSON"),
            ("by", "BYTEA"),
            ("o", "OID"),
            ("g", "TABLEAU.TABGEOGRAPHY"),
        ],
        [],
    ),
    ('Sales "EU"', "orders!view_0A1B"): ([('Sh"ip', "TEXT"), ("n", "INT")], [("x", 1)]),
    ("Tableau", "Extract"): ([("a", "INT")], [(1,), (2,)]),
    ("Extract", "Extract"): ([("Name", "TEXT")], [("Ann",), ("Bob",), ("Cy",)]),
    ("Extract", "no columns"): ([], []),
}


class _Reader:
    """A raw tableauhyperapi connection per file, attached the API's documented way."""

    def __init__(self, process: Any) -> None:
        self._process = process

    def both(self, path: Path) -> tuple[tuple[HyperTable, ...], tuple[HyperTable, ...]]:
        from tableauhyperapi import Connection, CreateMode

        with Connection(self._process.endpoint, str(path), CreateMode.NONE) as connection:
            return (
                read_catalog(connection),
                read_catalog_with_api(connection),
            )


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Reader]:
    from tableauhyperapi import HyperProcess, Telemetry

    log_dir = tmp_path_factory.mktemp("hyperd-log")
    with HyperProcess(
        telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU,
        parameters={"log_config": "", "log_dir": str(log_dir)},
    ) as process:
        yield _Reader(process)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("catalog")
    with HyperBuilder() as build:
        return {
            "every": build(root / "every.hyper", EVERY_TYPE),
            "empty": build(root / "empty.hyper", {}),
        }


def test_every_type_and_awkward_names_match_the_api(
    reader: _Reader, files: dict[str, Path]
) -> None:
    fast, api = reader.both(files["every"])
    assert fast == api
    by_name = {t.qualified_name: t for t in fast}
    assert set(by_name) == {
        "Extract.Extract",
        "Extract.no columns",
        'Sales "EU".orders!view_0A1B',
        "Tableau.Extract",
        "public.every type",
    }
    types = [c.sql_type for c in by_name["public.every type"].columns]
    assert types == [
        "TEXT",
        "CHAR(1)",
        "CHAR(3)",
        "VARCHAR(20)",
        "NUMERIC(18, 2)",
        "NUMERIC(9, 0)",
        "BIG_INT",
        "INT",
        "SMALL_INT",
        "DOUBLE",
        "BOOL",
        "DATE",
        "TIME",
        "TIMESTAMP",
        "TIMESTAMP_TZ",
        "INTERVAL",
        "JSON",
        "BYTES",
        "OID",
        "TABLEAU.TABGEOGRAPHY",
    ]
    assert by_name["Extract.no columns"].columns == ()
    assert [t.row_count for t in fast] == [3, 0, 1, 2, 0]


def test_empty_file_has_no_tables(reader: _Reader, files: dict[str, Path]) -> None:
    assert reader.both(files["empty"]) == ((), ())


def test_an_unknown_type_falls_back_to_the_api(
    reader: _Reader, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, _ = reader.both(files["every"])
    monkeypatch.setattr(hyper_catalog, "_types_by_oid", lambda: hyper_catalog._KnownTypes({}, {}))
    assert hyper_catalog._sql_type_text(23, -1) is None
    fast, api = reader.both(files["every"])
    assert fast == api == expected


def test_row_counts_in_several_statements(
    reader: _Reader, files: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected, _ = reader.both(files["every"])
    monkeypatch.setattr(hyper_catalog, "ROW_COUNTS_PER_QUERY", 3)
    fast, _ = reader.both(files["every"])
    assert fast == expected


def test_a_table_that_cannot_be_counted_is_named(reader: _Reader, files: dict[str, Path]) -> None:
    from tableauhyperapi import Connection, CreateMode

    endpoint = reader._process.endpoint
    with (
        Connection(endpoint, str(files["every"]), CreateMode.NONE) as connection,
        pytest.raises(ReadFailure) as caught,
    ):
        hyper_catalog._row_counts(connection, [("Extract", "missing")])
    assert caught.value.reason == (
        "cannot read table Extract.missing: unexpected Hyper error (HyperException)"
    )


def _corpus_hyper_bytes() -> Iterator[tuple[str, bytes]]:
    for path in sorted(CORPUS.iterdir()):
        data = path.read_bytes()
        if data[:5] == b"Hyper":
            yield path.name, data
        elif data[:4] == b"PK\x03\x04":
            try:
                package = zipfile.ZipFile(io.BytesIO(data))
            except zipfile.BadZipFile:
                continue
            for name in package.namelist():
                if name.lower().endswith(".hyper"):
                    member = package.read(name)
                    if member[:5] == b"Hyper":
                        yield f"{path.name}:{name}", member


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_extracts_match_the_api(reader: _Reader, tmp_path: Path) -> None:
    from tableauhyperapi import HyperException

    compared = 0
    for label, data in _corpus_hyper_bytes():
        copy = tmp_path / "copy.hyper"
        copy.write_bytes(data)
        try:
            fast, api = reader.both(copy)
        except HyperException:  # the API cannot open it: test_extract_report_corpus's concern
            continue
        assert fast == api, label
        compared += 1
    assert compared >= 60, f"only {compared} corpus extracts compared"
