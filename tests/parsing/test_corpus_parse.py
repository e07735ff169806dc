"""The team corpus (../shared/corpus): every file parses or is refused cleanly; model spot checks.

Expected values come from tableau-format.md §16 (checked there against the real .hyper files)
and from the files themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from tableau_audit.errors import ParseError
from tableau_audit.model import (
    ArtifactKind,
    Datasource,
    Extract,
    ExtractFormat,
    ExtractStatus,
    PackagedFileKind,
    Workbook,
)
from tableau_audit.parsing import load_file

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "files"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]

STANDALONE_TDE = {
    "tableau__connector-plugin-sdk__test_tool_test_tds_Calcs_(TestV1).tde",
    "tableau__server-client-python__test_assets_Data_Tableau_Samples_World_Indicators.tde",
}
HR = "mchenliu__Tableau_Project_HR_Dashboard__Material_Human_Resources_Dashboard.twbx"
HEALTHTECH = (
    "viktoriaz32__HealthTech-CRM-Sales-Tableau-Dashboard-PostgreSQL-ETL__tableau_"
    "HealthTech-CRM-Sales.twbx"
)


def corpus_files(*, hyper: bool) -> list[Path]:
    """Corpus files, with or without the standalone .hyper files (those need hyperd)."""
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.iterdir() if p.is_file())
    return [p for p in files if (p.suffix.lower() == ".hyper") == hyper]


def load(name: str) -> Workbook:
    return load_file(CORPUS / name)


def only_datasource(workbook: Workbook, caption: str) -> Datasource:
    matches = [ds for ds in workbook.datasources if ds.caption == caption]
    assert len(matches) == 1
    return matches[0]


def extract_of(ds: Datasource) -> Extract:
    assert ds.extract is not None
    return ds.extract


def test_every_document_and_package_loads_or_is_refused() -> None:
    refused: dict[str, str] = {}
    loaded = 0
    for path in corpus_files(hyper=False):
        try:
            workbook = load_file(path)
        except ParseError as exc:
            refused[path.name] = exc.reason
            continue
        assert workbook.kind in (ArtifactKind.WORKBOOK, ArtifactKind.DATASOURCE)
        loaded += 1
    assert set(refused) == STANDALONE_TDE
    assert all(
        reason.startswith("the file is a legacy .tde extract") for reason in refused.values()
    )
    assert loaded == len(corpus_files(hyper=False)) - len(STANDALONE_TDE)


def test_hr_dashboard_columns_and_extract_mapping() -> None:
    workbook = load(HR)
    assert (workbook.kind, workbook.version) == (ArtifactKind.WORKBOOK, "2024.3")
    ds = only_datasource(workbook, "Data_HumanResources")
    names = ["Employee_ID", "First Name", "Last Name", "Gender", "State", "City",
             "Education Level", "Birthdate", "Hiredate", "Termdate", "Department", "Job Title",
             "Salary", "Performance Rating"]  # fmt: skip
    assert [c.name for c in ds.columns] == names
    assert {c.table for c in ds.columns} == {"Data_HumanResources.csv"}
    assert [c.caption for c in ds.columns if c.caption != c.name] == ["Employee ID"]
    extract = extract_of(ds)
    assert [(m.local_name, m.remote_name, m.table) for m in extract.columns] == [
        (n, n, "Extract.Extract") for n in names
    ]
    assert (extract.status, extract.live, extract.enabled) == (ExtractStatus.PACKAGED, False, True)
    assert extract.file is not None
    assert (extract.file.path, extract.file.extract_format) == (
        "Data/TableauTemp/#TableauTemp_1tgglnt1j6ftax18tkod50h22cww.hyper",
        ExtractFormat.HYPER,
    )
    calc_captions = {c.caption for c in ds.calculations}
    assert {"Full Name", "Age", "Tenure"} <= calc_captions


def test_wow2020w10_deduplicated_extract_names() -> None:
    ds = only_datasource(load("ArseneXie__MyTableauPublic__WOW2020W10.twbx"), "H Intersects P")
    mapping = {m.local_name: m.remote_name for m in extract_of(ds).columns}
    assert mapping["Lat"] == "Lat1"
    assert mapping["Neighborhood"] == "Neighborhood1"
    assert mapping["Neighborhood (London Pubs.csv)"] == "Neighborhood"
    assert mapping["LAT"] == "LAT"
    assert {m.table for m in extract_of(ds).columns} == {"Extract.Extract"}


def test_healthtech_multi_table_extract() -> None:
    ds = only_datasource(load(HEALTHTECH), "accounts_view+ (Multiple Connections)")
    extract = extract_of(ds)
    tables = {m.table for m in extract.columns}
    assert tables == {
        "Extract.accounts!view_EEF4F210E78B4DF9BAB3795E35E57AEE",
        "Extract.activity!view_C186C37421AE49A48BECD00A0B9A88B2",
        "Extract.opportunity!view_219677AEE16943B08D720D54A2FAB672",
        "Extract.Sheet1_BFF8A8C17386407EBF298161BC98B9D2",
    }
    mapping = {m.local_name: (m.remote_name, m.table) for m in extract.columns}
    assert mapping["account_id (opportunity!view)"] == (
        "account_id",
        "Extract.opportunity!view_219677AEE16943B08D720D54A2FAB672",
    )
    assert mapping["Region"] == ("Region", "Extract.Sheet1_BFF8A8C17386407EBF298161BC98B9D2")
    assert [r.relation_type for r in ds.relations] == ["collection", *["table"] * 4]


def test_workbook_with_extract_hidden_columns_are_not_extracted() -> None:
    workbook = load("tableau__tabcmd__tests_assets_WorkbookWithExtract.twbx")
    ds = workbook.datasources[0]
    hidden = {c.name for c in ds.columns if c.hidden}
    assert hidden == {"ProductId", "Product_ProductId", "Location_Area Code"}
    extracted = {m.local_name for m in extract_of(ds).columns}
    assert len(extracted) == 20
    assert not hidden & extracted
    assert "Area Code" in extracted
    assert {c.name for c in ds.columns} - hidden == extracted


def test_tdvt_password_is_flagged_without_its_value() -> None:
    name = "tableau__connector-plugin-sdk__tdvt_tds_Staples.postgres.tds"
    workbook = load(name)
    assert workbook.kind is ArtifactKind.DATASOURCE
    (connection,) = workbook.datasources[0].connections
    assert (connection.connection_class, connection.has_password) == ("postgres", True)
    root = etree.parse(str(CORPUS / name)).getroot()
    (value,) = [c.get("password") for c in root.iter("connection") if c.get("password")]
    assert repr(value) not in repr(workbook.datasources)


TDVT = "tableau__connector-plugin-sdk__tdvt_tds_"
SECRETS_IN_CORPUS = {
    ("ArseneXie__MyTableauPublic__MOM2018W31.twbx", "api-key", "api-key"),
    ("ArseneXie__MyTableauPublic__MOM2018W31.twbx", "access-token", "full-url"),
    ("ArseneXie__MyTableauPublic__MOM2018W31.twbx", "access-token", "url-format"),
    ("tableau__Logshark__Plugins_Apache_Apache.twbx", "password", "password"),
    ("tableau__Logshark__Plugins_Tabadmin_Tabadmin.twbx", "password", "password"),
    ("tableau__Logshark__Plugins_Vizql_VizqlServerPerformance.twbx", "password", "password"),
    (TDVT + "Staples.postgres.tds", "password", "password"),
    (TDVT + "Staples.postgres_generic.tds", "password", "password"),
    (TDVT + "WonderHamster.harvey.tds", "password", "password"),
    (TDVT + "cast_calcs.postgres.tds", "password", "password"),
    (TDVT + "cast_calcs.postgres_generic.tds", "password", "password"),
}  # fmt: skip


def test_stored_secrets_across_the_corpus() -> None:
    pytest.importorskip("tableau_audit.classify.secrets")
    found = set()
    for path in corpus_files(hyper=False):
        if path.name in STANDALONE_TDE:
            continue
        for secret in load_file(path).secrets:
            found.add((path.name, secret.kind, secret.attribute))
            assert "***" in secret.masked
    assert found == SECRETS_IN_CORPUS


VIZQL = "tableau__Logshark__Plugins_Vizql_VizqlServerPerformance.twbx"
TDE_EXTRACTS = {
    ("tableau__document-api-python__test_assets_Cache.twbx", "Sales Target"),
    ("tableau__document-api-python__test_assets_TABLEAU_10_TWBX.twbx", "xy (TestV1)"),
    ("tableau__rest-api-samples__java_res_World_Indicators-En-US.twbx", "World Indicators"),
    ("tableau__server-client-python__test_assets_SampleWB.twbx", "World Indicators"),
    ("tableau__tabcmd__tests_assets_SampleWB.twbx", "World Indicators"),
    ("tableau__tabcmd__tests_assets_SimpleSuperstore.twbx", "Sample - Superstore"),
}


EMPTY_PLACEHOLDERS = {
    ("tableau__Logshark__Plugins_Apache_Apache.twbx", "Apache Requests"),
    ("tableau__Logshark__Plugins_Tabadmin_Tabadmin.twbx", "TabadminErrors"),
    ("tableau__Logshark__Plugins_Tabadmin_Tabadmin.twbx", "TableauServerVersions"),
    ("tableau__Logshark__Plugins_Tabadmin_Tabadmin.twbx", "TabadminActions"),
    (VIZQL, "VizqlPerformanceErrors"),
    (VIZQL, "VizqlPerformanceEvents"),
    (VIZQL, "VizqlQueryData"),
    (VIZQL, "VizqlEndQueryEvents"),
}


def test_partial_audit_diagnostics_across_the_corpus() -> None:
    kinds = {
        "legacy .tde file": "tde",
        "extract files; only": "several",
        "is missing from the package": "missing",
        "is empty (0 bytes)": "empty",
    }
    found: dict[str, set[tuple[str, str]]] = {kind: set() for kind in kinds.values()}
    for path in corpus_files(hyper=False):
        if path.name in STANDALONE_TDE:
            continue
        for diagnostic in load_file(path).diagnostics:
            assert diagnostic.code == "TA902"
            (place,) = diagnostic.place
            (kind,) = [kind for text, kind in kinds.items() if text in diagnostic.message]
            found[kind].add((path.name, place.removeprefix("datasource:")))
    assert found == {
        "tde": TDE_EXTRACTS,
        "several": {
            (VIZQL, "VizqlPerformanceErrors"),
            (VIZQL, "VizqlPerformanceEvents"),
            (VIZQL, "VizqlQueryData"),
        },
        "missing": {("tableau__tabcmd__World_Indicators.tdsx", "World Indicators new")},
        "empty": EMPTY_PLACEHOLDERS,
    }


def test_mapbox_api_key_is_kept_masked() -> None:
    pytest.importorskip("tableau_audit.classify.secrets")
    name = "ArseneXie__MyTableauPublic__MOM2018W31.twbx"
    workbook = load(name)
    (api_key,) = [s for s in workbook.secrets if s.attribute == "api-key"]
    assert api_key.place == ("mapsource:MyMap", "connection:MapBox")
    assert api_key.kind == "api-key"
    assert api_key.masked.startswith("pk.***")
    assert len(api_key.masked) < 20


def test_cp437_member_name_resolves_the_extract() -> None:
    workbook = load("tableau__tabcmd__tests_assets_extract-data-access.twbx")
    extract = extract_of(workbook.datasources[0])
    assert extract.status is ExtractStatus.PACKAGED
    assert extract.file is not None
    assert extract.file.path == "Data/データ ソース/extract-data-access.hyper"
    assert extract.dbname == extract.file.path


def test_zip_named_twb_is_a_package() -> None:
    workbook = load("LogitSocial__tableau-testing__Superstore.twb")
    assert workbook.is_packaged
    documents = [m.path for m in workbook.package if m.kind is PackagedFileKind.DOCUMENT]
    raw = sorted(m.path for m in workbook.package if m.kind is PackagedFileKind.RAW_DATA)
    assert documents == ["Superstore.twb"]
    assert raw == [
        "Data/Superstore/Sales Commission.csv",
        "Data/Superstore/Sales Target (US).xlsx",
        "Data/Superstore/Sample - Superstore.xls",
    ]


def test_regional_live_hyper_connections_are_the_extracts() -> None:
    workbook = load("tableau__tabcmd__tests_assets_Regional.twbx")
    extracts = {ds.caption: extract_of(ds) for ds in workbook.datasources}
    assert set(extracts) == {"Obesity", "Education", "Global Temperatures", "Flight", "Economy",
                             "Stocks"}  # fmt: skip
    assert {(e.live, e.status) for e in extracts.values()} == {(True, ExtractStatus.PACKAGED)}
    assert extracts["Obesity"].dbname == "Data/Extracts/hyper_1809jb10jua5bq1cweope10h9n.hyper"


def test_versions_across_eras() -> None:
    def version(name: str) -> str:
        return load(name).version

    assert version("tableau__tabcmd__tests_assets_EmbeddedCredentials.twb") == "8.3"
    assert version(HR) == "2024.3"
    assert version("tableau__document-api-python__samples_list-tds-info_world.tds") == "9.2"


def test_query_caches_and_placeholders_are_classified() -> None:
    workbook = load("ArseneXie__MyTableauPublic__ShowHideParam.twbx")
    kinds = {m.kind for m in workbook.package}
    assert PackagedFileKind.QUERY_CACHE in kinds
    assert PackagedFileKind.RAW_DATA in kinds
    statuses = {
        extract_of(ds).status
        for name in (
            "tableau__Logshark__Plugins_Apache_Apache.twbx",
            "tableau__Logshark__Plugins_Tabadmin_Tabadmin.twbx",
        )
        for ds in load(name).datasources
        if ds.extract is not None
    }
    assert statuses == {ExtractStatus.EMPTY}


# -- with hyperd ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hyper_session() -> Iterator[object]:
    from tableau_audit.parsing.hyper import HyperSession

    with HyperSession() as session:
        yield session


@pytest.mark.hyper
@pytest.mark.slow
def test_extract_mapping_agrees_with_the_real_hyper_files(hyper_session: object) -> None:
    """§0 rule 1: the XML mapping names exactly the .hyper's columns; §0 rule 5 exceptions."""
    from tableau_audit.parsing.hyper import HyperSession

    assert isinstance(hyper_session, HyperSession)
    compared = 0
    differences: dict[tuple[str, str], tuple[int, int]] = {}
    for path in corpus_files(hyper=False):
        if path.name in STANDALONE_TDE:
            continue
        for ds in load_file(path, hyper=hyper_session).datasources:
            extract = ds.extract
            if extract is None or extract.inventory is None:
                continue
            assert extract.inventory.error is None
            undescribed = {c.name for c in ds.columns if c.extract_only}
            in_xml = {(m.table, m.remote_name) for m in extract.columns}
            described = {
                (m.table, m.remote_name) for m in extract.columns if m.local_name not in undescribed
            }
            in_hyper = {
                (t.qualified_name, c.name) for t in extract.inventory.tables for c in t.columns
            }
            compared += 1
            # Issue 3: what is reported as in the extract is exactly what the .hyper holds.
            assert in_xml == in_hyper, (path.name, ds.caption)
            in_xml = described
            if in_xml != in_hyper:
                differences[(path.name, ds.caption)] = (len(in_xml), len(in_hyper))
    assert compared >= 50
    assert differences == {
        (
            "tableau__Logshark__Logshark.Tests_TestData_EndToEndTests_Expected_logs_clean_tsm_"
            "hyper_workbooks_Apache_test.twbx",
            "ApacheRequests Extract",
        ): (16, 20),
        (
            "tableau__hyper-api-samples__Community-Supported_publish-multi-table-hyper_test.tdsx",
            "federated.0oy8xqa12dhwpm12j83d1142eo3l",
        ): (0, 7),
        (
            "tableau__hyper-api-samples__Community-Supported_s3-to-hyper_test.tdsx",
            "federated.13bda1s0m84gms16hh3a21fafs0i",
        ): (0, 3),
    }


@pytest.mark.hyper
def test_standalone_hyper_files_load(hyper_session: object) -> None:
    from tableau_audit.parsing.hyper import HyperSession

    assert isinstance(hyper_session, HyperSession)
    files = corpus_files(hyper=True)
    assert len(files) == 10
    for path in files:
        workbook = load_file(path, hyper=hyper_session)
        assert workbook.kind is ArtifactKind.EXTRACT
        assert workbook.datasources, path.name
