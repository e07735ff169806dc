"""The .hyper reader: inventory, bad files, bounded sampling, privacy, one hyperd per run.

Real .hyper files are built once per test session with one hyperd (tests/hyperfactory.py).
"""

from __future__ import annotations

import datetime
import io
import logging
import os
import random
import signal
import sys
import threading
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.model import (
    ArtifactKind,
    ExtractStatus,
    HyperColumn,
    HyperInventory,
    HyperTable,
)
from tableau_audit.parsing.hyper import HyperSession, ValueSample, standalone_workbook
from tableau_audit.parsing.hyper_sql import (
    SAMPLE_SEED,
    UNSAMPLED_SQL_TYPES,
    plan_sample,
    sample_query,
)
from tableau_audit.parsing.hyper_workbook import tableau_datatype
from tableau_audit.parsing.package import Package
from tests.fresh_python import run_python
from tests.hyperfactory import HyperBuilder, Tables, hyperd_children, make_hyper

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / ".." / "shared" / "corpus" / "files"
CANARY = "qz7CANARY-5f0c1e9a-H5"
"""A value planted in the extracts; it must never leave memory."""

BIG_ROWS = 200_000


@dataclass(frozen=True)
class Files:
    """Paths of the .hyper files built for this test session."""

    multi: Path
    types: Path
    big: Path
    empty_db: Path
    root: Path


MULTI_TABLES: Tables = {
    ("Extract", "Extract"): (
        [("Name", "TEXT"), ("Email", "TEXT"), ("Age", "BIGINT"), ("Born", "DATE")],
        [
            ("Ann", "ann@example.org", 34, datetime.date(1990, 5, 1)),
            (CANARY, None, None, None),
            ("", "  ", 51, datetime.date(1973, 1, 2)),
            (None, "bob@example.org", 29, None),
        ],
    ),
    ("Extract", "orders!view_0A1B"): (
        [("order id", "BIGINT"), ('Sh"ip', "VARCHAR(20)")],
        [(1, "x"), (2, "y"), (3, None)],
    ),
    ('Sales "EU"', "products"): ([("SKU", "TEXT"), ("Price", "NUMERIC(18,2)")], []),
}

TYPES_COLUMNS = [
    ("t", "TEXT"),
    ("bi", "BIGINT"),
    ("i", "INT"),
    ("si", "SMALLINT"),
    ("d", "DOUBLE PRECISION"),
    ("n", "NUMERIC(18,2)"),
    ("dt", "DATE"),
    ("ts", "TIMESTAMP"),
    ("b", "BOOL"),
    ("vc", "VARCHAR(20)"),
    ("c", "CHAR(3)"),
]


@pytest.fixture(scope="session")
def hyper_files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    root = tmp_path_factory.mktemp("hyper")
    with HyperBuilder() as build:
        multi = build(root / "multi.hyper", MULTI_TABLES)
        types = build(
            root / "types.hyper",
            {
                ("public", "all_types"): (
                    TYPES_COLUMNS,
                    "SELECT 'x', 1, 2, 3, 4.5, 6.25, DATE '2020-01-02', "
                    "TIMESTAMP '2020-01-02 03:04:05', true, 'vv', 'abc'",
                )
            },
        )
        big = build(
            root / "big.hyper",
            {
                ("Extract", "Extract"): (
                    [("id", "BIGINT"), ("email", "TEXT"), ("note", "TEXT")],
                    "SELECT g, 'user' || g || '@example.org', "
                    "CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE 'n' || g END "
                    f"FROM generate_series(1, {BIG_ROWS}) AS s(g)",
                )
            },
        )
        empty_db = build(root / "nothing.hyper", {})
    return Files(multi=multi, types=types, big=big, empty_db=empty_db, root=root)


@pytest.fixture
def session() -> Iterator[HyperSession]:
    with HyperSession() as hyper:
        yield hyper


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


# -- pure: sampling plan and SQL ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "size", "window", "percent"),
    [
        (0, 1000, 100_000, None),
        (999, 1000, 100_000, None),
        (1000, 1000, 100_000, None),
        (1200, 1000, 100_000, None),  # 104 % would be needed: read under the limit
        (10_000, 1000, 100_000, 12.5),
        (100_000, 1000, 100_000, 1.25),
        (200_000, 1000, 100_000, 1.25),  # bounded by the window, not the row count
        (10_000_000, 1000, 100_000, 1.25),
        (10_000_000, 10, 1000, 1.25),
    ],
)
def test_plan_sample(rows: int, size: int, window: int, percent: float | None) -> None:
    plan = plan_sample(rows, size=size, window=window)
    assert plan.limit == size
    assert plan.percent == (None if percent is None else pytest.approx(percent))


def test_plan_sample_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError, match="sample size"):
        plan_sample(10, size=0, window=10)
    with pytest.raises(ValueError, match="window"):
        plan_sample(10, size=100, window=10)


def test_sample_query_quotes_names_and_casts() -> None:
    plan = plan_sample(1_000_000, size=1000, window=100_000)
    sql = sample_query('Sales "EU"', "orders!view", ["order id", 'Sh"ip'], plan)
    assert sql == (
        'SELECT CAST("order id" AS TEXT), CAST("Sh""ip" AS TEXT) '
        'FROM "Sales ""EU"""."orders!view" '
        f"TABLESAMPLE BERNOULLI(1.250000000) REPEATABLE({SAMPLE_SEED}) LIMIT 1000"
    )
    small = sample_query("s", "t", ["a"], plan_sample(5, size=1000, window=100_000))
    assert small == 'SELECT CAST("a" AS TEXT) FROM "s"."t" LIMIT 1000'


@pytest.mark.parametrize(
    ("sql_type", "datatype"),
    [
        ("TEXT", "string"),
        ("VARCHAR(20)", "string"),
        ("BIG_INT", "integer"),
        ("NUMERIC(18, 2)", "real"),
        ("DOUBLE", "real"),
        ("DATE", "date"),
        ("TIMESTAMP_TZ", "datetime"),
        ("BOOL", "boolean"),
        ("TABLEAU.TABGEOGRAPHY", "spatial"),
        ("BYTES", ""),
    ],
)
def test_tableau_datatype(sql_type: str, datatype: str) -> None:
    assert tableau_datatype(sql_type) == datatype


def test_value_sample_repr_shows_counts_only() -> None:
    sample = ValueSample(values={("s.t", "c"): (CANARY, "b")}, rows_sampled={"s.t": 3})
    for text in (repr(sample), str(sample), f"{sample}", repr([sample])):
        assert CANARY not in text
    assert repr(sample) == (
        "ValueSample(columns=1, values=2, tables=1, table_errors=0, error=None)"
    )
    assert sample.counts() == {("s.t", "c"): 2}
    assert sample.get("s.t", "c") == (CANARY, "b")
    assert sample.get("s.t", "other") is None


def test_import_does_not_load_tableauhyperapi() -> None:
    code = (
        "import sys, tableau_audit.parsing.hyper\n"
        "sys.exit(1 if 'tableauhyperapi' in sys.modules else 0)\n"
    )
    assert run_python(code, check=False).returncode == 0


def test_standalone_workbook_with_error_is_a_parse_error() -> None:
    inventory = HyperInventory(error="x.hyper: the file is truncated")
    with pytest.raises(ParseError) as caught:
        standalone_workbook("dir/x.hyper", inventory)
    assert (caught.value.artifact, caught.value.reason) == ("dir/x.hyper", "the file is truncated")


# -- hyperd: inventory -----------------------------------------------------------------------


@pytest.mark.hyper
def test_inventory_multi_schema_multi_table(hyper_files: Files, session: HyperSession) -> None:
    inventory = session.inventory(hyper_files.multi, label="multi.hyper")
    assert inventory == HyperInventory(
        tables=(
            HyperTable(
                schema="Extract",
                name="Extract",
                row_count=4,
                columns=(
                    HyperColumn(name="Name", sql_type="TEXT"),
                    HyperColumn(name="Email", sql_type="TEXT"),
                    HyperColumn(name="Age", sql_type="BIG_INT"),
                    HyperColumn(name="Born", sql_type="DATE"),
                ),
            ),
            HyperTable(
                schema="Extract",
                name="orders!view_0A1B",
                row_count=3,
                columns=(
                    HyperColumn(name="order id", sql_type="BIG_INT"),
                    HyperColumn(name='Sh"ip', sql_type="VARCHAR(20)"),
                ),
            ),
            HyperTable(
                schema='Sales "EU"',
                name="products",
                row_count=0,
                columns=(
                    HyperColumn(name="SKU", sql_type="TEXT"),
                    HyperColumn(name="Price", sql_type="NUMERIC(18, 2)"),
                ),
            ),
        )
    )
    assert session.inventory(hyper_files.multi.read_bytes(), label="multi.hyper") == inventory


@pytest.mark.hyper
def test_inventory_types_and_empty_database(hyper_files: Files, session: HyperSession) -> None:
    (table,) = session.inventory(hyper_files.types, label="types").tables
    assert [(c.name, c.sql_type) for c in table.columns] == [
        ("t", "TEXT"),
        ("bi", "BIG_INT"),
        ("i", "INT"),
        ("si", "SMALL_INT"),
        ("d", "DOUBLE"),
        ("n", "NUMERIC(18, 2)"),
        ("dt", "DATE"),
        ("ts", "TIMESTAMP"),
        ("b", "BOOL"),
        ("vc", "VARCHAR(20)"),
        ("c", "CHAR(3)"),
    ]
    assert session.inventory(hyper_files.empty_db, label="e") == HyperInventory(tables=())


def _bad_files(multi: bytes) -> dict[str, tuple[bytes, str]]:
    rng = random.Random(7)
    return {
        "zero-byte": (b"", "empty file (zero bytes), not a Hyper extract"),
        "tde": (
            bytes.fromhex("20020162a01eab07") + rng.randbytes(3000),
            "legacy .tde extract; the Hyper API cannot open it",
        ),
        "random": (
            b"\x00\x13" + rng.randbytes(5000),
            "not a Hyper file (the 'Hyper' magic bytes are missing)",
        ),
        "lfs": (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 9\n",
            "Git LFS pointer, not the extract itself",
        ),
        "truncated": (
            multi[: len(multi) // 2],
            "cannot open the .hyper file: the file is truncated",
        ),
        "header-only": (
            multi[:100],
            "cannot open the .hyper file: not a valid Hyper database (corrupt or truncated header)",
        ),
        "corrupt-header": (
            multi[:64] + rng.randbytes(len(multi) - 64),
            "cannot open the .hyper file: the file is corrupt (invalid header checksum)",
        ),
    }


@pytest.mark.hyper
def test_bad_files_give_specific_reasons(
    hyper_files: Files, session: HyperSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cases = _bad_files(hyper_files.multi.read_bytes())
    for name, (data, reason) in cases.items():
        path = hyper_files.root / f"bad-{name}.hyper"
        path.write_bytes(data)
        for source in (data, path):
            assert session.inventory(source, label=name) == HyperInventory(
                error=f"{name}: {reason}"
            ), name
            inventory, sample = session.inspect(source, label=name)
            assert inventory.error == sample.error == f"{name}: {reason}"
            assert sample.values == {}
    missing = session.inventory(hyper_files.root / "absent.hyper", label="absent")
    assert missing.error == "absent: cannot read the file (No such file or directory)"
    # The session survives bad files: a good file still reads, with the same single hyperd.
    assert len(session.inventory(hyper_files.multi, label="m").tables) == 3
    assert session.starts == 1
    assert CANARY not in caplog.text


@pytest.mark.hyper
def test_corrupt_data_blocks_never_raise(hyper_files: Files) -> None:
    data = hyper_files.big.read_bytes()
    outcomes: list[str | None] = []
    # Read whole tables so that the damaged blocks are really decoded.
    with HyperSession(sample_size=BIG_ROWS, scan_window=BIG_ROWS) as session:
        for seed in range(6):
            rng = random.Random(seed)
            start = rng.randrange(8192, len(data) - 70_000)
            damaged = data[:start] + rng.randbytes(65_536) + data[start + 65_536 :]
            inventory, sample = session.inspect(damaged, label=f"c{seed}")
            problems = [inventory.error, sample.error, *sample.table_errors.values()]
            outcomes.extend(problems)
            for problem in problems:
                assert problem is None or "corrupt" in problem or "unexpected" in problem
    assert any(outcomes), "no corruption was detected: the test no longer exercises errors"
    assert session.starts == 1


# -- hyperd: sampling ------------------------------------------------------------------------


@pytest.mark.hyper
def test_sample_drops_null_and_blank_and_reads_small_tables_fully(
    hyper_files: Files, session: HyperSession
) -> None:
    sample = session.sample(hyper_files.multi, label="multi")
    assert dict(sample.values) == {
        ("Extract.Extract", "Name"): ("Ann", CANARY),
        ("Extract.Extract", "Email"): ("ann@example.org", "bob@example.org"),
        ("Extract.Extract", "Age"): ("34", "51", "29"),
        ("Extract.Extract", "Born"): ("1990-05-01", "1973-01-02"),
        ("Extract.orders!view_0A1B", "order id"): ("1", "2", "3"),
        ("Extract.orders!view_0A1B", 'Sh"ip'): ("x", "y"),
        ('Sales "EU".products', "SKU"): (),
        ('Sales "EU".products', "Price"): (),
    }
    assert dict(sample.rows_sampled) == {
        "Extract.Extract": 4,
        "Extract.orders!view_0A1B": 3,
        'Sales "EU".products': 0,
    }
    assert sample.table_errors == {}
    assert sample.error is None


@pytest.mark.hyper
def test_sample_every_type_as_text(hyper_files: Files, session: HyperSession) -> None:
    sample = session.sample(hyper_files.types, label="types")
    got = {column: values for (_, column), values in sample.values.items()}
    assert got == {
        "t": ("x",),
        "bi": ("1",),
        "i": ("2",),
        "si": ("3",),
        "d": ("4.5",),
        "n": ("6.25",),
        "dt": ("2020-01-02",),
        "ts": ("2020-01-02 03:04:05",),
        "b": ("true",),
        "vc": ("vv",),
        "c": ("abc",),
    }


@pytest.mark.hyper
def test_values_holding_the_separator_are_read_exactly(
    tmp_path: Path, session: HyperSession
) -> None:
    # A sample is fetched as one row of joined values; a value that holds the separator must
    # not be split in two (the reader notices the count mismatch and reads row by row).
    rows = [("a\x1fb", "1"), ("x\x1f", "2"), ("c", None), ("  ", "3")]
    path = make_hyper(
        tmp_path / "sep.hyper", {("Extract", "Extract"): ([("v", "TEXT"), ("w", "TEXT")], rows)}
    )
    sample = session.sample(path, label="sep")
    assert sample.values[("Extract.Extract", "v")] == ("a\x1fb", "x\x1f", "c")
    assert sample.values[("Extract.Extract", "w")] == ("1", "2", "3")
    assert sample.rows_sampled == {"Extract.Extract": 4}


@pytest.mark.hyper
def test_geometry_and_bytes_are_inventoried_but_not_sampled(
    tmp_path: Path, session: HyperSession
) -> None:
    columns = [("name", "TEXT"), ("shape", "TABLEAU.TABGEOGRAPHY"), ("blob", "BYTEA")]
    path = make_hyper(
        tmp_path / "geo.hyper",
        {
            ("Extract", "Extract"): (
                columns,
                "SELECT 'Ann', CAST('POINT(1 2)' AS TABLEAU.TABGEOGRAPHY), CAST('ab' AS BYTEA)",
            )
        },
    )
    inventory, sample = session.inspect(path, label="geo")
    (table,) = inventory.tables
    assert [c.sql_type for c in table.columns] == ["TEXT", "TABLEAU.TABGEOGRAPHY", "BYTES"]
    assert dict(sample.values) == {("Extract.Extract", "name"): ("Ann",)}


@pytest.mark.hyper
def test_extract_is_attached_read_only(hyper_files: Files, session: HyperSession) -> None:
    from tableauhyperapi import HyperException

    with session._connect(hyper_files.multi) as (connection, _):
        with pytest.raises(HyperException):
            connection.execute_command('CREATE TABLE "Extract"."planted" (a INT)')
        assert connection.execute_scalar_query('SELECT COUNT(*) FROM "Extract"."Extract"') == 4


@pytest.mark.hyper
def test_sample_is_bounded_spread_and_deterministic(
    hyper_files: Files, session: HyperSession
) -> None:
    sample = session.sample(hyper_files.big, label="big", size=1000)
    ids = [int(v) for v in sample.values[("Extract.Extract", "id")]]
    assert 900 <= sample.rows_sampled["Extract.Extract"] <= 1000
    assert len(ids) == len(set(ids)) == sample.rows_sampled["Extract.Extract"]
    assert all(len(v) <= 1000 for v in sample.values.values())
    # Spread over the table (Hyper scans morsels in parallel), not the first 1000 rows.
    assert min(ids) < 5_000
    assert max(ids) > 50_000
    assert sample.values[("Extract.Extract", "email")] == tuple(f"user{i}@example.org" for i in ids)
    # NULL and '' rows dropped: only ids with g % 3 == 2 keep a note.
    notes = sample.values[("Extract.Extract", "note")]
    assert notes == tuple(f"n{i}" for i in ids if i % 3 == 2)
    assert session.sample(hyper_files.big, label="big", size=1000).values == sample.values


@pytest.mark.hyper
def test_sample_size_window_and_column_selection(hyper_files: Files) -> None:
    key = ("Extract", "Extract", "id")
    with HyperSession(sample_size=50, scan_window=5_000) as hyper:
        sample = hyper.sample(
            hyper_files.big,
            label="big",
            columns=[key, ("Extract", "Extract", "missing")],
        )
        assert set(sample.values) == {("Extract.Extract", "id")}
        ids = [int(v) for v in sample.values[("Extract.Extract", "id")]]
        assert 40 <= len(ids) <= 50
        assert len(hyper.sample(hyper_files.big, label="big", size=7).values) == 3
        wider = hyper.sample(hyper_files.big, label="big", columns=[key], size=6_000)
        assert 5_000 < len(wider.values[("Extract.Extract", "id")]) <= 6_000  # window >= size
        with pytest.raises(ValueError, match="sample size"):
            hyper.sample(hyper_files.big, label="big", size=0)


# -- hyperd: lifecycle and privacy -----------------------------------------------------------


@pytest.mark.hyper
def test_lazy_start_and_one_hyperd_for_many_files(
    hyper_files: Files, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # hyperd would write hyperd.log here if its log were on
    before = HyperSession.total_starts()
    with HyperSession() as hyper:
        assert hyper.starts == 0
        assert hyper.temp_dir is None
        assert hyper.inventory(b"", label="zero").error is not None  # rejected before hyperd
        assert hyper.starts == 0
        for _ in range(5):
            for path in (hyper_files.multi, hyper_files.types, hyper_files.empty_db):
                assert hyper.inventory(path, label=path.name).error is None
                assert hyper.sample(path.read_bytes(), label=path.name).error is None
        assert hyper.starts == 1
    assert HyperSession.total_starts() == before + 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.hyper
def test_copies_removed_and_no_value_persisted(
    hyper_files: Files, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    data = hyper_files.multi.read_bytes()
    assert CANARY.encode() in data
    hyper = HyperSession()
    with hyper:
        inventory, sample = hyper.inspect(data, label="multi")
        assert CANARY in sample.values[("Extract.Extract", "Name")]
        root = hyper.temp_dir
        assert root is not None
        assert oct(root.stat().st_mode & 0o777) == "0o700"
        # Only hyperd's (disabled, hence empty) log directory is left between files.
        assert sorted(p.name for p in root.iterdir()) == ["log"]
        assert list((root / "log").iterdir()) == []
        hyper.inventory(hyper_files.multi, label="again")
        hyper.inventory(data[: len(data) // 2], label="truncated")
        assert CANARY.encode() not in _all_bytes(root)
        for text in (repr(inventory), repr(sample), str(sample), repr(hyper.__dict__)):
            assert CANARY not in text
    assert hyper.temp_dir is None
    assert not root.exists()
    assert CANARY not in caplog.text


@pytest.mark.hyper
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds hyperd through /proc")
def test_dead_hyperd_is_restarted(hyper_files: Files, caplog: pytest.LogCaptureFixture) -> None:
    before = hyperd_children()
    with HyperSession() as hyper:
        assert hyper.inventory(hyper_files.multi, label="m").error is None
        (pid,) = hyperd_children() - before
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        assert len(hyper.inventory(hyper_files.multi, label="m").tables) == 3
        assert hyper.starts == 2
    assert "hyperd stopped unexpectedly" in caplog.text


def _kill_hyperds(spare: set[int]) -> None:
    for pid in hyperd_children() - spare:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.mark.hyper
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds hyperd through /proc")
def test_concurrent_readers_restart_a_dead_hyperd_once(hyper_files: Files) -> None:
    before = hyperd_children()
    with HyperSession() as hyper:
        expected = hyper.inventory(hyper_files.multi, label="m")
        _kill_hyperds(before)
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda i: hyper.inventory(hyper_files.multi, label="m"), range(4)))
        assert got == [expected] * 4
        assert hyper.starts == 2  # not one restart per reader that found it dead


class _Hostile(HyperSession):
    """A session where sampling the file labelled "culprit" kills hyperd, every time.

    Stands in for a hostile extract that crashes hyperd. The first time, both files reach their
    sample together, so "innocent" is being read when hyperd dies.
    """

    def __init__(self, spare: set[int]) -> None:
        super().__init__()
        self._spare = spare
        self._together = threading.Barrier(2, timeout=10)
        self._killed = threading.Event()
        self.labels: list[str] = []

    def _sample_tables(self, connection: Any, tables: Any, wanted: Any, size: int) -> ValueSample:
        label = "culprit" if tables[0].name == "Culprit" else "innocent"
        first = label not in self.labels
        self.labels.append(label)
        if first:
            self._together.wait()
        if label == "culprit":
            _kill_hyperds(self._spare)
            self._killed.set()
        elif first:
            self._killed.wait(10)
        return super()._sample_tables(connection, tables, wanted, size)


@pytest.mark.hyper
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds hyperd through /proc")
def test_hyperd_killed_by_one_file_fails_only_that_file(hyper_files: Files, tmp_path: Path) -> None:
    culprit = make_hyper(
        tmp_path / "culprit.hyper", {("Extract", "Culprit"): ([("a", "TEXT")], [("x",)])}
    )
    with HyperSession() as reference:
        expected = reference.inspect(hyper_files.multi, label="innocent")
    before = hyperd_children()
    hyper = _Hostile(before)
    with hyper, ThreadPoolExecutor(2) as pool:
        hostile = pool.submit(hyper.inspect, culprit, label="culprit")
        innocent = pool.submit(hyper.inspect, hyper_files.multi, label="innocent")
        inventory, sample = innocent.result()
        _, culprit_sample = hostile.result()
        # Both reads broke; each was read again alone: only the culprit fails again.
        assert sorted(hyper.labels) == ["culprit", "culprit", "innocent", "innocent"]
        assert hyper.rereads == 2
        assert (inventory, dict(sample.values)) == (expected[0], dict(expected[1].values))
        assert sample.table_errors == {}
        assert list(culprit_sample.table_errors) == ["Extract.Culprit"]
        # The run goes on: the next file restarts hyperd.
        assert hyper.inventory(hyper_files.multi, label="after") == expected[0]


@pytest.mark.hyper
def test_a_packaged_extract_found_corrupt_while_copied_leaves_no_copy(
    hyper_files: Files, session: HyperSession, tmp_path: Path
) -> None:
    data = bytearray(hyper_files.multi.read_bytes())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("Book.twb", "<workbook/>")
        archive.writestr("Data/Extracts/x.hyper", bytes(data))
    raw = bytearray(buffer.getvalue())
    at = raw.index(bytes(data[-64:]))
    raw[at] ^= 0xFF  # the stored bytes no longer match the CRC-32 the directory declares
    package = Package(io.BytesIO(bytes(raw)), "book.twbx")
    with pytest.raises(ParseError, match=r"'Data/Extracts/x\.hyper' is corrupt"):
        session.inspect(package.member("Data/Extracts/x.hyper"), label="book.twbx:x")
    root = session.temp_dir
    assert root is not None
    assert [p.name for p in root.iterdir() if p.name.startswith("file-")] == []


@pytest.mark.hyper
def test_closed_session_refuses_work(hyper_files: Files) -> None:
    with HyperSession() as hyper:
        hyper.inventory(hyper_files.empty_db, label="e")
    with pytest.raises(RuntimeError, match="closed"):
        hyper.inventory(hyper_files.empty_db, label="e")


@pytest.mark.hyper
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds hyperd through /proc")
def test_close_soon_stops_hyperd_in_the_background_and_close_waits(hyper_files: Files) -> None:
    before = hyperd_children()
    with HyperSession() as hyper:
        hyper.inventory(hyper_files.empty_db, label="e")
        root = hyper.temp_dir
        assert root is not None
        assert len(hyperd_children() - before) == 1
        hyper.close_soon()
        closing = hyper._closing
        assert closing is not None
        hyper.close_soon()
        assert hyper._closing is closing  # one background close, whoever asks again
        hyper.close()  # waits for the background close
        assert not closing.is_alive()
        assert hyperd_children() == before
        assert not root.exists()
    with pytest.raises(RuntimeError, match="closed"):
        hyper.inventory(hyper_files.empty_db, label="e")


# -- standalone .hyper as an auditable item --------------------------------------------------


@pytest.mark.hyper
def test_standalone_workbook(hyper_files: Files, session: HyperSession) -> None:
    inventory = session.inventory(hyper_files.multi, label="multi.hyper")
    workbook = standalone_workbook(str(hyper_files.multi), inventory)
    assert (workbook.kind, workbook.name, workbook.source) == (
        ArtifactKind.EXTRACT,
        "multi",
        str(hyper_files.multi),
    )
    assert [ds.name for ds in workbook.datasources] == [
        "Extract.Extract",
        "Extract.orders!view_0A1B",
        'Sales "EU".products',
    ]
    first = workbook.datasources[0]
    assert [(c.name, c.remote_name, c.table, c.datatype) for c in first.columns] == [
        ("Name", "Name", "Extract", "string"),
        ("Email", "Email", "Extract", "string"),
        ("Age", "Age", "Extract", "integer"),
        ("Born", "Born", "Extract", "date"),
    ]
    extract = first.extract
    assert extract is not None
    assert (extract.dbname, extract.connection_class, extract.status) == (
        "multi.hyper",
        "hyper",
        ExtractStatus.PACKAGED,
    )
    assert extract.inventory == HyperInventory(tables=(inventory.tables[0],))
    assert [(m.local_name, m.remote_name, m.table) for m in extract.columns] == [
        ("Name", "Name", "Extract.Extract"),
        ("Email", "Email", "Extract.Extract"),
        ("Age", "Age", "Extract.Extract"),
        ("Born", "Born", "Extract.Extract"),
    ]


# -- the team corpus -------------------------------------------------------------------------


def _corpus_extracts() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in {".hyper", ".tde"})


@pytest.mark.hyper
@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_corpus_extracts(session: HyperSession) -> None:
    files = _corpus_extracts()
    assert files
    for path in files:
        inventory, sample = session.inspect(path, label=path.name, size=100)
        if path.read_bytes()[:5] == b"Hyper":
            assert inventory.error is None, path.name
            assert inventory.tables, path.name
            assert all(t.columns for t in inventory.tables), path.name
            assert sample.table_errors == {}, path.name
            assert set(sample.values) == {
                (t.qualified_name, c.name)
                for t in inventory.tables
                for c in t.columns
                if c.sql_type not in UNSAMPLED_SQL_TYPES
            }
            assert all(len(v) <= 100 for v in sample.values.values())
            workbook = standalone_workbook(str(path), inventory)
            assert len(workbook.datasources) == len(inventory.tables)
        else:
            assert inventory.error == (
                f"{path.name}: legacy .tde extract; the Hyper API cannot open it"
            )
    assert session.starts == 1
