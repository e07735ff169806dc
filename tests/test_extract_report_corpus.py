"""Issue 3 acceptance on the team corpus: the report's "in the extract" columns are the .hyper's.

The engine audits ``../shared/corpus/files`` once. Independently, every packaged or standalone
.hyper is opened with bare ``tableauhyperapi`` (zip member → private temp copy →
``CreateMode.NONE``; one hyperd for the module, telemetry and log off). Per item and data source,
the columns the report calls ``in_extract`` (as ``(extract_table, extract_column)``) must be
exactly the columns of the .hyper, and an extract is reported readable exactly when Hyper opens it.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.findings import AuditResult, ItemReport, Severity
from tableau_audit.model import ArtifactKind

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "files"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.hyper,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]

Columns = frozenset[tuple[str, str]]
"""``(schema.table, column)`` pairs."""

ITEMS_COMPARED = 47
"""Corpus files with at least one extract Hyper can open: 37 packages and 10 .hyper files."""
EXTRACTS_COMPARED = 68
"""Data sources of packages (52) and tables of .hyper files (16) whose columns are compared."""
UNREADABLE_PACKAGED = 6
"""Packaged extracts Hyper cannot open (legacy .tde members)."""


@pytest.fixture(scope="module")
def result() -> AuditResult:
    """The whole corpus, audited once with the default configuration."""
    return audit([CORPUS], AuditConfig())


class RawHyper:
    """Bare tableauhyperapi: one hyperd, each file read from its own private copy."""

    def __init__(self, process: Any, workdir: Path) -> None:
        self._process = process
        self._workdir = workdir

    def tables(self, data: bytes) -> Mapping[str, Columns] | None:
        """Columns per ``schema.table``; None when Hyper cannot open the file."""
        from tableauhyperapi import Connection, CreateMode, TableName

        copy = Path(tempfile.mkdtemp(dir=self._workdir)) / "copy.hyper"
        copy.write_bytes(data)
        try:
            with Connection(self._process.endpoint, str(copy), CreateMode.NONE) as conn:
                found: dict[str, Columns] = {}
                for schema in conn.catalog.get_schema_names():
                    for table in conn.catalog.get_table_names(schema):
                        name = f"{schema.name.unescaped}.{table.name.unescaped}"
                        definition = conn.catalog.get_table_definition(
                            TableName(schema.name.unescaped, table.name.unescaped)
                        )
                        found[name] = frozenset(
                            (name, c.name.unescaped) for c in definition.columns
                        )
                return found
        except Exception:  # a corrupt, truncated or non-Hyper file: the engine must agree
            return None
        finally:
            shutil.rmtree(copy.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def raw_hyper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawHyper]:
    from tableauhyperapi import HyperProcess, Telemetry

    workdir = tmp_path_factory.mktemp("raw-hyper")
    with HyperProcess(
        telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU,
        parameters={"log_config": "", "log_dir": str(workdir)},
    ) as process:
        yield RawHyper(process, workdir)


def _reported(item: ItemReport) -> dict[str, Columns]:
    """Per data-source caption: ``(extract_table, extract_column)`` of its in-extract columns."""
    found: dict[str, set[tuple[str, str]]] = {}
    for column in item.columns:
        if column.in_extract:
            found.setdefault(column.datasource, set()).add(
                (column.extract_table, column.extract_column)
            )
    return {ds: frozenset(pairs) for ds, pairs in found.items()}


def _compare_standalone(item: ItemReport, raw_hyper: RawHyper) -> int:
    """A .hyper file: one data source per table, each holding exactly that table's columns."""
    raw = raw_hyper.tables(Path(item.source).read_bytes())
    assert raw is not None, item.source
    assert {e.readable for e in item.extracts} == {True}, item.source
    reported = _reported(item)
    assert sorted(map(sorted, reported.values())) == sorted(map(sorted, raw.values())), item.source
    assert len(reported) == len(raw) == len(item.extracts)
    return len(raw)


def _members(package: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Members by name; names without the zip UTF-8 flag are also tried as UTF-8 (Tableau)."""
    found: dict[str, zipfile.ZipInfo] = {}
    for info in package.infolist():
        found[info.filename] = info
        if not info.flag_bits & 0x800:
            with contextlib.suppress(UnicodeError):
                found[info.filename.encode("cp437").decode("utf-8")] = info
    return found


def _compare_package(item: ItemReport, raw_hyper: RawHyper) -> int:
    """A .twbx/.tdsx: each packaged extract's data source reports the member's columns."""
    captions = [e.datasource for e in item.extracts]
    assert len(captions) == len(set(captions)), item.source  # captions identify data sources
    reported = _reported(item)
    compared = 0
    with zipfile.ZipFile(item.source) as package:
        members = _members(package)
        for extract in item.extracts:
            if extract.status != "packaged":
                assert not extract.readable, (item.source, extract.datasource)
                continue
            assert extract.file in members, (item.source, extract.file)
            raw = raw_hyper.tables(package.read(members[extract.file]))
            assert extract.readable is (raw is not None), (item.source, extract.file)
            if raw is None:
                continue
            expected = frozenset().union(*raw.values())
            assert reported.get(extract.datasource, frozenset()) == expected, (
                item.source,
                extract.datasource,
            )
            compared += 1
    return compared


def _readable_files(raw_hyper: RawHyper) -> set[str]:
    """Corpus files holding at least one .hyper that bare Hyper opens (found without the engine)."""
    found: set[str] = set()
    for path in sorted(CORPUS.iterdir()):
        suffix = path.suffix.lower()
        if suffix == ".hyper" and raw_hyper.tables(path.read_bytes()) is not None:
            found.add(path.name)
        if suffix not in (".twbx", ".tdsx") or not zipfile.is_zipfile(path):
            continue
        with zipfile.ZipFile(path) as package:
            for info in package.infolist():
                with package.open(info) as member:
                    magic = member.read(5)
                if magic == b"Hyper" and raw_hyper.tables(package.read(info)) is not None:
                    found.add(path.name)
                    break
    return found


@pytest.mark.slow
def test_columns_in_the_extract_are_the_columns_of_the_hyper(
    result: AuditResult, raw_hyper: RawHyper
) -> None:
    compared: set[str] = set()
    extracts = 0
    for item in result.items:
        if not any(e.readable for e in item.extracts):
            continue
        if item.kind is ArtifactKind.EXTRACT:
            extracts += _compare_standalone(item, raw_hyper)
        else:
            extracts += _compare_package(item, raw_hyper)
        compared.add(Path(item.source).name)
    # No file with a readable extract escaped the comparison (skipped, or reported unreadable).
    assert compared == _readable_files(raw_hyper)
    assert (len(compared), extracts) == (ITEMS_COMPARED, EXTRACTS_COMPARED)


def test_unreadable_packaged_extracts_are_diagnosed(result: AuditResult) -> None:
    """A packaged extract Hyper cannot read (.tde) gets TA902; the item is still audited."""
    unreadable: dict[str, set[str]] = {}
    for item in result.items:
        broken = {e.datasource for e in item.extracts if e.status == "packaged" and not e.readable}
        if broken:
            unreadable[Path(item.source).name] = broken
            diagnosed = {f.location.datasource for f in item.findings if f.rule_id == "TA902"}
            assert broken <= diagnosed, item.source
    assert sum(map(len, unreadable.values())) == UNREADABLE_PACKAGED


def test_ta105_flags_exactly_the_extracts_with_undescribed_columns(result: AuditResult) -> None:
    ta105 = [f for f in result.findings if f.rule_id == "TA105"]
    assert {f.severity for f in ta105} == {Severity.LOW}  # none of them is confidential
    flagged = {
        (Path(f.location.artifact).name, f.location.datasource, f.evidence["columns"])
        for f in ta105
    }
    assert flagged == {
        (
            "tableau__Logshark__Logshark.Tests_TestData_EndToEndTests_Expected_logs_clean_tsm_"
            "hyper_workbooks_Apache_test.twbx",
            "ApacheRequests Extract",
            ("TableauErrorSource", "TableauStatusCode", "TableauErrorCode", "TableauServiceName"),
        ),
        (
            "tableau__hyper-api-samples__Community-Supported_publish-multi-table-hyper_test.tdsx",
            "federated.0oy8xqa12dhwpm12j83d1142eo3l",
            ("Product Key (public.products)", "Product Name", "Category",
             "Product Key (public.sales)", "Sales", "Customer", "Order ID"),
        ),
        (
            "tableau__hyper-api-samples__Community-Supported_s3-to-hyper_test.tdsx",
            "federated.13bda1s0m84gms16hh3a21fafs0i",
            ("Month", "Sales", "Filename"),
        ),
    }  # fmt: skip
