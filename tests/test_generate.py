"""The sample generator (fixtures/generate.py): valid packages, real extracts, exact shapes.

These tests read the generated files with lxml and tableauhyperapi directly, not with the
auditor's parsers, so that the samples are checked independently of the code they exercise.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from fixtures.generate import SAMPLES, generate, sample
from fixtures.samples import basic, doj, fake, special, structure
from fixtures.samples.catalog import Sample, confidential
from fixtures.samples.sheets import closure
from fixtures.samples.spec import DatasourceSpec, WorkbookSpec

pytestmark = pytest.mark.hyper

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_FCP = re.compile(r"^_\.fcp\.[A-Za-z0-9]+\.true\.\.\.")

HyperTables = dict[str, tuple[tuple[str, ...], int]]
"""``schema.table`` → (column names in order, row count)."""


@pytest.fixture(scope="module")
def hyperd() -> Iterator[Any]:
    """One HyperProcess for the module (telemetry off, no log file)."""
    from tableauhyperapi import HyperProcess, Telemetry

    log_dir = tempfile.mkdtemp(prefix="test-generate-")
    params = {"log_config": "", "log_dir": log_dir}
    with HyperProcess(Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU, parameters=params) as process:
        yield process
    shutil.rmtree(log_dir, ignore_errors=True)


def _open_hyper(process: Any, data: bytes, tmp: Path) -> HyperTables:
    """Every table of a .hyper (given as bytes), opened read-only from a private copy."""
    from tableauhyperapi import Connection, CreateMode

    path = tmp / "copy.hyper"
    path.write_bytes(data)
    tables: HyperTables = {}
    with Connection(process.endpoint, str(path), CreateMode.NONE) as conn:
        for schema in conn.catalog.get_schema_names():
            for name in conn.catalog.get_table_names(schema):
                definition = conn.catalog.get_table_definition(name)
                count = conn.execute_scalar_query(f"SELECT COUNT(*) FROM {name}")
                key = f"{schema.name.unescaped}.{name.name.unescaped}"
                tables[key] = (tuple(c.name.unescaped for c in definition.columns), count)
    path.unlink()
    return tables


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _document(path: Path) -> etree._Element:
    """Root element of a .twb, or of the .twb/.tds inside a package."""
    if zipfile.is_zipfile(path):
        members = _members(path)
        name = next(iter(members))
        assert name.endswith((".twb", ".tds"))
        assert "/" not in name
        return etree.fromstring(members[name], _PARSER)
    return etree.fromstring(path.read_bytes(), _PARSER)


def _normalised(root: etree._Element) -> etree._Element:
    """Drop ``_.fcp...false...`` elements and un-prefix ``true...`` ones (tableau-format.md §2)."""
    for node in list(root.iter(etree.Element)):
        tag = str(node.tag)
        parent = node.getparent()
        if ".false..." in tag and parent is not None:
            parent.remove(node)
        else:
            node.tag = _FCP.sub("", tag)
    return root


def _hyper_extracts(item: Sample) -> dict[str, HyperTables]:
    return {
        member: {
            f"{t.schema}.{t.name}": (tuple(n for n, _ in t.columns), len(t.rows)) for t in tables
        }
        for member, tables in item.extracts().items()
    }


def test_generate_writes_every_sample_in_order(generated_samples: Path) -> None:
    names = sorted(p.name for p in generated_samples.iterdir())
    assert names == sorted(s.filename for s in SAMPLES)
    assert len({s.filename for s in SAMPLES}) == len(SAMPLES) == 13


def test_output_is_deterministic_except_hyper_internals(
    generated_samples: Path, tmp_path: Path
) -> None:
    again = generate(tmp_path, SAMPLES)
    assert [p.name for p in again] == [s.filename for s in SAMPLES]
    for path in again:
        first = generated_samples / path.name
        if not zipfile.is_zipfile(path):
            if path.suffix != ".hyper":
                assert path.read_bytes() == first.read_bytes(), path.name
            continue
        old, new = _members(first), _members(path)
        assert list(old) == list(new), path.name
        for name, data in new.items():
            if not name.endswith(".hyper"):
                assert data == old[name], f"{path.name}:{name}"


@pytest.mark.parametrize("item", SAMPLES, ids=lambda s: s.filename)
def test_every_file_is_a_valid_zip_or_document(generated_samples: Path, item: Sample) -> None:
    path = generated_samples / item.filename
    if item.filename.endswith(".hyper"):
        assert path.read_bytes()[:5] == b"Hyper"
        return
    if item.filename.endswith((".twbx", ".tdsx")):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None
    root = _document(path)
    expected = "workbook" if ".twb" in item.filename else "datasource"
    assert root.tag == expected


@pytest.mark.parametrize("item", [s for s in SAMPLES if s.extracts()], ids=lambda s: s.filename)
def test_each_hyper_has_the_expected_tables_columns_and_rows(
    generated_samples: Path, item: Sample, hyperd: Any, tmp_path: Path
) -> None:
    path = generated_samples / item.filename
    members = _members(path) if zipfile.is_zipfile(path) else {"": path.read_bytes()}
    found = {name: _open_hyper(hyperd, members[name], tmp_path) for name in item.extracts()}
    assert found == _hyper_extracts(item)
    hyper_members = {n for n in members if n.endswith(".hyper")} if "" not in members else {""}
    assert hyper_members == set(item.extracts())


def _xml_extract_columns(ds_element: etree._Element) -> set[tuple[str, str]]:
    """(``schema.table``, column) pairs the ``<extract>`` metadata says the .hyper holds."""
    conn = ds_element.find("extract/connection")
    assert conn is not None
    mapping = {m.get("key"): m.get("value") for m in conn.iterfind("cols/map")}
    pairs = set()
    for record in conn.iterfind("metadata-records/metadata-record[@class='column']"):
        local = record.findtext("local-name")
        remote = record.findtext("remote-name")
        assert local is not None
        assert remote is not None
        if mapping:
            target = re.fullmatch(r"\[(.+)\]\.\[(.+)\]", mapping[local] or "")
            assert target is not None
            table, column = target.groups()
            assert column == remote
            assert record.findtext("parent-name") == f"[{table}]"
        else:
            assert record.findtext("parent-name") == "[Extract]"
            table = "Extract"
        pairs.add((f"Extract.{table}", remote))
    return pairs


@pytest.mark.parametrize(
    "item", [s for s in SAMPLES if s.well_formed and s.datasources()], ids=lambda s: s.filename
)
def test_xml_extract_metadata_equals_the_hyper(
    generated_samples: Path, item: Sample, hyperd: Any, tmp_path: Path
) -> None:
    path = generated_samples / item.filename
    root = _normalised(_document(path))
    datasources = [root] if root.tag == "datasource" else root.findall("datasources/datasource")
    members = _members(path) if zipfile.is_zipfile(path) else {}
    checked = 0
    for ds_element in datasources:
        conn = ds_element.find("extract/connection")
        if conn is None:
            continue
        tables = _open_hyper(hyperd, members[conn.get("dbname", "")], tmp_path)
        in_hyper = {(t, c) for t, (cols, _) in tables.items() for c in cols}
        assert _xml_extract_columns(ds_element) == in_hyper
        checked += 1
    assert checked == sum(1 for ds in item.datasources() if ds.extract is not None)


def _deps(element: etree._Element) -> set[str]:
    return {
        (c.get("name") or "").strip("[]")
        for c in element.iterfind("datasource-dependencies/column")
    }


def test_doj_sheets_and_dashboard_use_exactly_three_columns(generated_samples: Path) -> None:
    root = _normalised(_document(generated_samples / "doj_permits.twbx"))
    (dashboard,) = root.findall("dashboards/dashboard")
    assert _deps(dashboard) == {"COUNTY", "PERMIT_TYPE", "ISSUE_DATE"} == doj.USED
    sheets = root.findall("worksheets/worksheet")
    assert {s.get("name") for s in sheets} == {"Permits by County", "Permits Issued by Year"}
    views = [s.find("table/view") for s in sheets]
    assert set().union(*(_deps(v) for v in views if v is not None)) == doj.USED
    assert None not in views
    ds = root.find("datasources/datasource")
    assert ds is not None
    assert ds.get("caption") == "CCW Permits Dashboard"
    assert not [c for c in ds.iterfind("column") if c.get("hidden") == "true"]
    extracted = {r.findtext("local-name") for r in ds.iterfind(".//extract//metadata-record")}
    assert extracted == {f"[{c.name}]" for c in doj.DATASOURCE.cols}
    unused_confidential = {
        c.caption for c in doj.DATASOURCE.cols if c.name not in doj.USED and c.pii
    }
    assert {
        "Full Name",
        "Date of Birth",
        "Driver License Number",
        "CII Number",
    } <= unused_confidential


def test_hidden_in_extract_ssn_is_in_the_hyper_and_the_card_is_not(
    generated_samples: Path, hyperd: Any, tmp_path: Path
) -> None:
    path = generated_samples / "hidden_in_extract.twbx"
    root = _normalised(_document(path))
    hidden = {c.get("name") for c in root.iter("column") if c.get("hidden") == "true"}
    assert hidden == {"[ssn]", "[card_number]"}
    dbname = basic.PAYROLL.extract.dbname if basic.PAYROLL.extract else ""
    ((columns, rows),) = _open_hyper(hyperd, _members(path)[dbname], tmp_path).values()
    assert "ssn" in columns
    assert "card_number" not in columns
    assert rows == 250


def test_renamed_duplicates_map_to_suffixed_hyper_columns(generated_samples: Path) -> None:
    root = _normalised(_document(generated_samples / "renamed_dupes.twbx"))
    records = root.iterfind(".//extract//metadata-record")
    mapping = {r.findtext("local-name"): r.findtext("remote-name") for r in records}
    renamed = {k: v for k, v in mapping.items() if k != f"[{v}]"}
    assert renamed == {
        "[Office (offices.csv)]": "Office1",
        "[EMAIL]": "EMAIL1",
        "[Phone (offices.csv)]": "Phone1",
    }


def test_multi_table_extract_maps_every_column_to_its_logical_table(
    generated_samples: Path,
) -> None:
    root = _normalised(_document(generated_samples / "multi_table.twbx"))
    conn = root.find("datasources/datasource/extract/connection")
    assert conn is not None
    tables = {r.get("table") for r in conn.iterfind("relation[@type='collection']/relation")}
    assert tables == {f"[Extract].[{t.object_id}]" for t in structure.CRM.tables}
    assert len(tables) == 3
    assert all("crm!" in t for t in tables if t)
    keys = {m.get("key") for m in conn.iterfind("cols/map")}
    assert keys == {f"[{c.name}]" for c in structure.CRM.cols}
    assert root.find(".//object-graph/relationships") is not None


def test_broken_extracts(generated_samples: Path, hyperd: Any, tmp_path: Path) -> None:
    from tableauhyperapi import HyperException

    def extract_member(filename: str) -> tuple[str, dict[str, bytes]]:
        path = generated_samples / filename
        conn = _document(path).find("datasources/datasource/extract/connection")
        assert conn is not None
        return conn.get("dbname", ""), _members(path)

    name, members = extract_member("zero_byte_extract.twbx")
    assert members[name] == b""
    name, members = extract_member("corrupt_extract.twbx")
    assert members[name][:5] == b"Hyper"
    assert len(members[name]) == 4096
    with pytest.raises(HyperException):
        _open_hyper(hyperd, members[name], tmp_path)
    name, members = extract_member("missing_extract.twbx")
    assert name == "Data/Extracts/volunteers.hyper"
    assert name not in members
    assert not [m for m in members if m.endswith(".hyper")]
    assert not [s for s in SAMPLES if not s.well_formed and s.extracts()]


def test_credentials_workbook_stores_its_fake_secrets(generated_samples: Path) -> None:
    raw = (generated_samples / "credentials.twb").read_text("utf-8")
    # Hand-edited tell: password written after username, out of Tableau's alphabetical order.
    assert re.search(r"username='report_user' password='Summer2024-Reports!'", raw)
    root = _document(generated_samples / "credentials.twb")
    (pg,) = root.iterfind(".//named-connection/connection")
    assert pg.get("password") == special.FAKE_DB_PASSWORD
    assert f"password={special.FAKE_INITIAL_SQL_PASSWORD}" in (pg.get("one-time-sql") or "")
    (mapbox,) = root.iterfind("mapsources/mapsource/connection[@class='MapBox']")
    assert mapbox.get("api-key") == special.FAKE_MAPBOX_TOKEN
    assert re.fullmatch(r"pk\.[A-Za-z0-9_-]+\.[A-Za-z0-9]{22}", special.FAKE_MAPBOX_TOKEN)
    assert f"access_token={special.FAKE_MAPBOX_TOKEN}" in (mapbox.get("url-format") or "")


def test_raw_data_package_carries_the_csv_and_a_query_cache(generated_samples: Path) -> None:
    members = _members(generated_samples / "raw_data_packed.twbx")
    assert set(members) == {
        "Support Tickets.twb",
        special.CSV_MEMBER,
        f"{special.CACHE_DIR}/.bin",
        f"{special.CACHE_DIR}/.key",
    }
    header, *rows = members[special.CSV_MEMBER].decode().splitlines()
    assert header.split(",") == [c.name for c in special.TICKETS.cols]
    assert len(rows) == 200
    conn = _document(generated_samples / "raw_data_packed.twbx").find(
        ".//named-connection/connection"
    )
    assert conn is not None
    assert f"{conn.get('directory')}/{conn.get('filename')}" == special.CSV_MEMBER


def test_synthetic_values_pass_the_validators_they_are_meant_to_exercise() -> None:
    people = basic.people_table()
    columns = [n for n, _ in people.columns]
    ssn, card, email, phone = (columns.index(n) for n in ("ssn", "card_number", "email", "phone"))
    for row in people.rows:
        area, group, serial = (int(x) for x in str(row[ssn]).split("-"))
        assert 500 < area < 600
        assert 1 <= group <= 99
        assert 1 <= serial <= 9999
        assert fake.luhn_ok(str(row[card]))
        assert re.fullmatch(r"[a-z]+\.[a-z]+\d+@example\.org", str(row[email]))
        assert re.fullmatch(r"\(\d{3}\) 555-01\d\d", str(row[phone]))
    assert len({row[email] for row in people.rows}) == len(people.rows) == 500
    assert fake.luhn_ok("4111111111111111")
    assert not fake.luhn_ok("4111111111111112")


def test_sample_lookup_and_spec_intent() -> None:
    assert sample("doj_permits.twbx").triggers == ("TA101",)
    assert sample("clean_sales.twbx").triggers == ()
    assert not [c for c in basic.SALES.cols if c.pii]
    assert {c.name for c in basic.HR.cols if c.pii == "salary"} == {"Salary"}
    with pytest.raises(StopIteration):
        sample("nope.twbx")


# --- end to end: the auditor on the samples ----------------------------------------------------
# Expectations come from each sample's spec (what it was designed to contain and use), computed
# with the generator's own closure, never from the auditor's output.


@pytest.fixture(scope="module")
def audited(generated_samples: Path) -> Any:
    """The audit of the whole sample folder, run once for this module."""
    from tableau_audit.config import AuditConfig
    from tableau_audit.engine import audit

    return audit([generated_samples], AuditConfig())


def _item(result: Any, filename: str) -> Any:
    (item,) = [i for i in result.items if Path(i.source).name == filename]
    return item


def _fields(item: Any, rule_id: str) -> set[str]:
    return {f.location.field for f in item.findings if f.rule_id == rule_id}


def _used(workbook: WorkbookSpec, ds: DatasourceSpec) -> set[str]:
    """Physical columns the sample's sheets and dashboards use, through calculations."""
    uses = [u for s in workbook.sheets if s.datasource == ds.name for u in s.uses()]
    uses += [u for d in workbook.dashboards for _, u in d.filter_zones]
    names = closure(ds, {u.field for u in uses if not u.pseudo})
    return {c.name for c in ds.cols if c.name in names}


def _expected_ta101(item: Sample) -> set[str]:
    assert item.workbook is not None
    return {
        c.caption or c.name
        for ds in item.workbook.datasources
        for c in ds.cols
        if confidential(c) and not c.hidden and c.name not in _used(item.workbook, ds)
    }


@pytest.mark.parametrize(
    "item",
    SAMPLES,
    ids=lambda s: s.filename,
)
def test_each_sample_triggers_exactly_its_rules(audited: Any, item: Sample) -> None:
    found = {f.rule_id for f in _item(audited, item.filename).findings}
    assert found == set(item.triggers)


def test_nothing_is_skipped(audited: Any) -> None:
    assert audited.skipped == ()
    assert {Path(i.source).name for i in audited.items} == {s.filename for s in SAMPLES}


def test_doj_sample_flags_exactly_the_unused_confidential_columns(audited: Any) -> None:
    item = _item(audited, "doj_permits.twbx")
    expected = {
        "Full Name",
        "Home Street Address",
        "Date of Birth",
        "Race",
        "Driver License Number",
        "CII Number",
        "Criminal History",
    }
    assert _fields(item, "TA101") == expected == _expected_ta101(sample("doj_permits.twbx"))
    assert item.extract_rows == doj.ROWS
    assert item.risk.level.label in {"high", "critical"}


@pytest.mark.parametrize(
    "item", [s for s in SAMPLES if "TA101" in s.triggers], ids=lambda s: s.filename
)
def test_ta101_fields_match_the_sample_design(audited: Any, item: Sample) -> None:
    assert _fields(_item(audited, item.filename), "TA101") == _expected_ta101(item)


def test_clean_sales_has_no_findings_and_no_risk(audited: Any) -> None:
    item = _item(audited, "clean_sales.twbx")
    assert item.findings == ()
    assert item.risk.level.label == "none"
    assert {c.field for c in item.columns if not c.used} == set()


def test_hidden_ssn_in_extract_is_ta102_and_the_excluded_card_is_not(audited: Any) -> None:
    item = _item(audited, "hidden_in_extract.twbx")
    assert _fields(item, "TA102") == {"SSN"}
    card = next(c for c in item.columns if c.field == "Card Number")
    assert card.hidden
    assert card.in_extract is False


def test_standalone_and_tdsx_confidential_columns(audited: Any) -> None:
    people = _item(audited, "people.hyper")
    assert _fields(people, "TA104") == set(basic.PEOPLE_PII)
    customers = _item(audited, "customers.tdsx")
    expected = {c.caption for c in basic.CUSTOMERS.cols if confidential(c)}
    assert _fields(customers, "TA104") == expected


def test_raw_data_and_cache_members_are_ta103(audited: Any) -> None:
    item = _item(audited, "raw_data_packed.twbx")
    paths = {p for f in item.findings if f.rule_id == "TA103" for p in f.location.object_path}
    expected = {special.CSV_MEMBER, f"{special.CACHE_DIR}/.bin", f"{special.CACHE_DIR}/.key"}
    assert paths == {f"package:{p}" for p in expected}


def test_credentials_are_reported_masked_never_in_clear(audited: Any) -> None:
    from tableau_audit.reports import REPORTERS

    item = _item(audited, "credentials.twb")
    attributes = {
        (f.rule_id, f.location.object_path[-1]) for f in item.findings if f.location.object_path
    }
    assert ("TA301", "attribute:password") in attributes
    assert ("TA303", "attribute:api-key") in attributes
    secrets = (
        special.FAKE_DB_PASSWORD,
        special.FAKE_INITIAL_SQL_PASSWORD,
        special.FAKE_MAPBOX_TOKEN,
        special.FAKE_MAPBOX_TOKEN[3:20],
    )
    for name, reporter in REPORTERS.items():
        text = reporter.render(audited)
        assert not [s for s in secrets if s in text], name


def test_initial_sql_password_is_reported(audited: Any) -> None:
    item = _item(audited, "credentials.twb")
    places = {f.location.object_path[-1] for f in item.findings if f.rule_id == "TA303"}
    assert "attribute:one-time-sql" in places


def test_reports_carry_no_sampled_values(audited: Any) -> None:
    from tableau_audit.reports import REPORTERS

    values = {str(row[c]) for row in basic.people_table().rows for c in (3, 4, 5, 7)}
    values |= {
        str(row[k])
        for row in doj.rows()[""]
        for k in ("FULL_NAME", "HOME_ADDRESS", "DL_NUMBER", "CII_NUMBER")
    }
    for name, reporter in REPORTERS.items():
        text = reporter.render(audited)
        assert not [v for v in values if v in text], name


@pytest.mark.parametrize(
    "item",
    [s for s in SAMPLES if s.well_formed and s.workbook is not None],
    ids=lambda s: s.filename,
)
def test_column_report_matches_the_sample_design(audited: Any, item: Sample) -> None:
    assert item.workbook is not None
    report = {(c.datasource, c.field): c for c in _item(audited, item.filename).columns}
    expected = {}
    for ds in item.workbook.datasources:
        used = _used(item.workbook, ds)
        for col in ds.cols:
            in_extract = col.in_extract if ds.extract is not None else None
            expected[(ds.caption, col.caption or col.name)] = (
                col.name in used,
                col.hidden,
                in_extract,
            )
    actual = {key: (c.used, c.hidden, c.in_extract) for key, c in report.items()}
    assert actual == expected


def test_demo_stages_fail_only_when_the_audit_breaks(tmp_path: Path) -> None:
    from fixtures.demo import DemoContext, Stage, run_stages

    ctx = DemoContext(samples=tmp_path)
    findings = Stage(title="findings", run=lambda c: 1)
    clean = Stage(title="clean", run=lambda c: 0)
    broken = Stage(title="broken", run=lambda c: 2)
    assert run_stages(ctx, (clean, findings)) == 0
    assert run_stages(ctx, (findings, broken, clean)) == 2


@pytest.mark.slow
def test_demo_prints_the_doj_findings_and_exits_zero(generated_samples: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "fixtures.demo", "--samples", str(generated_samples)]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=300, cwd=root
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "doj_permits" in done.stdout
    assert "Criminal History" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
