"""TA105 undescribed-extract-columns, on packages whose .hyper holds more than their XML maps.

The fail fixtures are generated samples whose packaged .hyper is rebuilt (real tableauhyperapi)
with extra columns that nothing in the XML mentions. The corpus case (LogShark's Apache test
workbook, four such columns) is in ``tests/test_extract_report_corpus.py``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from fixtures.generate import sample
from fixtures.samples import fake
from fixtures.samples.hyperfile import HyperTableData, HyperWriter
from fixtures.samples.package import write_package
from tableau_audit.findings import Severity
from tests.rules.conftest import findings_of, flagged_paths, run

pytestmark = pytest.mark.hyper

Extra = tuple[str, str, Callable[[int], object]]
"""(column name in the .hyper, Tableau datatype, value of row i)."""


def _widened(tmp_path: Path, filename: str, extra: Sequence[Extra]) -> Path:
    """The generated sample ``filename`` with ``extra`` columns added to its only .hyper table."""
    spec = sample(filename)
    with HyperWriter() as writer:
        output = spec.build(writer)
        assert not isinstance(output, bytes)
        members = dict(output)
        [(member, [table])] = [(m, list(t)) for m, t in spec.extracts().items()]
        wider = HyperTableData(
            schema=table.schema,
            name=table.name,
            columns=(*table.columns, *((name, kind) for name, kind, _ in extra)),
            rows=tuple(
                (*row, *(value(i) for _, _, value in extra)) for i, row in enumerate(table.rows)
            ),
        )
        members[member] = writer.build((wider,))
    return write_package(tmp_path / filename, members)


def _ssns() -> Callable[[int], object]:
    rng = random.Random(105)
    values = [fake.ssn(rng) for _ in range(2000)]
    return lambda i: values[i % len(values)]


def test_ta105_fail_harmless_extra_columns_are_low(tmp_path: Path) -> None:
    path = _widened(
        tmp_path,
        "clean_sales.twbx",
        (("load_batch", "integer", lambda i: i // 100), ("row_origin", "string", lambda i: "etl")),
    )
    result = run(path)
    assert flagged_paths(result, "TA105") == {("datasource:Orders (Orders 2024)", "extract")}
    [finding] = findings_of(result, "TA105")
    assert finding.severity is Severity.LOW
    assert finding.evidence["columns"] == ("load_batch", "row_origin")
    assert finding.evidence["confidential_columns"] == ()
    assert "2 column(s)" in finding.message
    assert "'load_batch', 'row_origin'" in finding.message
    [item] = result.items
    assert {c.field for c in item.columns if c.extract_only} == {"load_batch", "row_origin"}
    [summary] = item.extracts
    assert summary.undescribed_columns == 2


def test_ta105_fail_confidential_extra_column_is_medium(tmp_path: Path) -> None:
    # A neutral name: only the values (formatted SSNs) make it confidential.
    path = _widened(
        tmp_path,
        "customers.tdsx",
        (("extra_a", "string", _ssns()), ("batch", "integer", lambda i: 7)),
    )
    result = run(path)
    assert flagged_paths(result, "TA105") == {("datasource:Customers", "extract")}
    [finding] = findings_of(result, "TA105")
    assert finding.severity is Severity.MEDIUM
    assert finding.evidence["columns"] == ("extra_a", "batch")
    assert finding.evidence["confidential_columns"] == ("extra_a",)
    assert finding.evidence["types"] == ("ssn",)
    assert "1 of them confidential: 'extra_a' (ssn, high tier)" in finding.message
    [item] = result.items
    [extra] = [c for c in item.columns if c.field == "extra_a"]
    assert extra.extract_only
    assert extra.in_extract
    assert extra.classification is not None
    assert not extra.classification.name_only
    # The column is also a TA104 finding of the data source, like any other confidential column.
    assert ("datasource:Customers", "column:extra_a") in flagged_paths(result, "TA104")


def test_ta105_pass_extracts_that_match_their_xml(generated_samples: Path) -> None:
    for name in (
        "doj_permits.twbx",
        "clean_sales.twbx",
        "hidden_in_extract.twbx",
        "multi_table.twbx",
        "renamed_dupes.twbx",
        "customers.tdsx",
        "people.hyper",
    ):
        result = run(generated_samples / name)
        assert flagged_paths(result, "TA105") == set(), name
        assert [c.field for i in result.items for c in i.columns if c.extract_only] == [], name


def test_ta105_pass_unreadable_extracts_say_nothing_about_columns(generated_samples: Path) -> None:
    for name in ("corrupt_extract.twbx", "zero_byte_extract.twbx", "missing_extract.twbx"):
        assert flagged_paths(run(generated_samples / name), "TA105") == set(), name
