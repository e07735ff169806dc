"""Field usage on real workbooks, checked against Tableau's own ``datasource-dependencies``.

tableau-format.md §0 rule 2: each sheet's deps list the fields it needs, normally with the
base columns behind its calcs; we take them and close through calcs, groups and sets as a
safety net (sets referenced by calcs, pre-10 workbooks). The exact sets below were checked by
hand against the XML (and, for the HR and HealthTech files, against tableau-format.md §16).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

import pytest
from lxml import etree

from tableau_audit.errors import ParseError
from tableau_audit.model import Datasource, Workbook
from tableau_audit.parsing import load_file
from tableau_audit.parsing._sheet_refs import local_name
from tableau_audit.parsing.detect import FileFormat, sniff
from tableau_audit.parsing.package import Package
from tableau_audit.parsing.xml import parse_xml
from tableau_audit.usage import DatasourceUsage, compute_usage

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "files"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}"),
]

HR = "mchenliu__Tableau_Project_HR_Dashboard__Material_Human_Resources_Dashboard.twbx"
HEALTHTECH = (
    "viktoriaz32__HealthTech-CRM-Sales-Tableau-Dashboard-PostgreSQL-ETL__tableau_"
    "HealthTech-CRM-Sales.twbx"
)
FILTERING = "tableau__document-api-python__test_assets_filtering.twb"
WORLD_9_0 = "tableau__rest-api-samples__java_res_World_Indicators-En-US.twbx"
USER_AUTO_COLUMN = "{http://www.tableausoftware.com/xml/user}auto-column"
CLOSURE_REASONS = ("calculation:", "group:", "parameter:", "filter", "blend")


def load(name: str) -> Workbook:
    return load_file(CORPUS / name, display=name)


def only_datasource(workbook: Workbook) -> Datasource:
    (ds,) = workbook.datasources
    return ds


def column_split(ds: Datasource, usage: DatasourceUsage) -> tuple[set[str], set[str]]:
    """(used, unused) physical columns."""
    names = {column.name for column in ds.columns}
    return names & usage.used, names - usage.used


def test_hr_dashboard_uses_all_fourteen_columns() -> None:
    workbook = load(HR)
    ds = only_datasource(workbook)
    used, unused = column_split(ds, compute_usage(workbook)[ds.name])
    assert unused == set()
    assert used == {
        "Employee_ID", "First Name", "Last Name", "Gender", "State", "City", "Education Level",
        "Birthdate", "Hiredate", "Termdate", "Department", "Job Title", "Salary",
        "Performance Rating",
    }  # fmt: skip


def test_hr_dashboard_birthdate_feeds_the_age_calculation() -> None:
    workbook = load(HR)
    ds = only_datasource(workbook)
    reasons = compute_usage(workbook)[ds.name].reasons
    assert "calculation:Age" in reasons["Birthdate"]
    assert "worksheet:Detail List" in reasons["First Name"]


def test_healthtech_crm_unused_columns() -> None:
    workbook = load(HEALTHTECH)
    ds = only_datasource(workbook)
    used, unused = column_split(ds, compute_usage(workbook)[ds.name])
    assert unused == {
        "Region",
        "account_id (opportunity!view)",
        "annual_revenue (opportunity!view)",
        "opp_id (activity!view)",
        "region (opportunity!view)",
    }
    assert used == {
        "State", "account_id", "account_name", "activity_date", "activity_id", "activity_type",
        "amount", "amount (activity!view)", "annual_revenue", "close_date", "created_date",
        "duration_min", "name", "num_opportunities", "opp_id", "probability", "product",
        "region", "rep_name", "stage", "stage (activity!view)", "status", "total_sales", "type",
    }  # fmt: skip


def test_set_referenced_only_by_a_calculation_is_used() -> None:
    # Sheet 1 shows the calc SHOW = IF [BurstoutSet] ...; its deps omit the set (§0 rule 2).
    workbook = load(FILTERING)
    ds = only_datasource(workbook)
    (sheet_1,) = (sheet for sheet in workbook.worksheets if sheet.name == "Sheet 1")
    assert "BurstoutSet" not in {ref.field for ref in sheet_1.references}
    alone = dataclasses.replace(workbook, worksheets=(sheet_1,), dashboards=(), actions=())
    usage = compute_usage(alone)[ds.name]
    fields = {c.name for c in ds.columns} | {c.name for c in ds.calculations}
    fields |= {g.name for g in ds.groups}
    assert usage.used & fields == {
        "Calculation_88946136969252864",
        "BurstoutSet",
        "Burst Out Set list",
        "Number of Records",
    }
    assert usage.reasons["BurstoutSet"] == ("calculation:SHOW",)
    full = compute_usage(workbook)[ds.name]
    assert full.reasons["BurstoutSet"] == ("action:Set1", "calculation:SHOW", "worksheet:Sheet 2")


def test_pre_10_workbook_closure() -> None:
    # 9.0: a hidden sheet's deps lack the columns of "GDP per Capita" = [GDP]/[Population Total].
    workbook = load(WORLD_9_0)
    ds = only_datasource(workbook)
    (sheet,) = (s for s in workbook.worksheets if s.name == "Ease of Biz Correlation Sheet")
    assert sheet.hidden
    assert {"GDP", "Population Total"}.isdisjoint(ref.field for ref in sheet.references)
    alone = dataclasses.replace(
        workbook, worksheets=(sheet,), dashboards=(), actions=(), shared_view_references=()
    )
    reasons = compute_usage(alone)[ds.name].reasons
    assert reasons["GDP"] == ("calculation:GDP per Capita",)
    assert reasons["Population Total"] == ("calculation:GDP per Capita",)
    used, unused = column_split(ds, compute_usage(workbook)[ds.name])
    assert unused == {
        "CO2 Emissions", "Energy Usage", "Infant Mortality Rate", "Lending Interest",
        "Life Expectancy Female", "Life Expectancy Male", "Population 0-14", "Population 15-64",
        "Population 65+", "Population Urban", "Tourism Outbound",
    }  # fmt: skip
    assert used == {
        "Birth Rate", "Business Tax Rate", "Country", "Date", "Days to Start Business",
        "Ease of Business", "GDP", "Health Exp % GDP", "Health Exp/Capita", "Hours to do Tax",
        "Internet Usage", "Mobile Phone Usage", "Population Total", "Region", "Tourism Inbound",
    }  # fmt: skip


def document_root(path: Path) -> etree._Element:
    data = path.read_bytes()
    if sniff(data[:64]) is FileFormat.PACKAGE:
        with path.open("rb") as handle:
            data = Package(handle, path.name).read_document()
    return parse_xml(data, path.name)


def tableau_dependencies(root: etree._Element) -> dict[str, set[str]]:
    """Union of every ``datasource-dependencies`` (columns and instance columns), per source.

    Pseudo-fields are left out: multi-part names, ``[:Measure Names]`` and the generated
    ``[Action (…)]`` / ``[Tooltip (…)]`` filter groups (``user:auto-column='sheet_link'``).
    """
    generated = {
        (ds.get("name"), group.get("name", "").strip("[]"))
        for ds in root.iterfind("datasources/datasource")
        for group in ds.iterfind("group")
        if group.get(USER_AUTO_COLUMN) == "sheet_link"
    }
    deps: dict[str, set[str]] = defaultdict(set)
    for element in root.iter("datasource-dependencies"):
        datasource = element.get("datasource", "")
        for child in element:
            raw = child.get("column" if child.tag == "column-instance" else "name", "")
            name = local_name(raw) if child.tag in ("column", "column-instance") else None
            if name and not name.startswith(":") and (datasource, name) not in generated:
                deps[datasource].add(name)
    deps.pop("Parameters", None)
    return deps


def corpus_documents() -> list[Path]:
    suffixes = {".twb", ".twbx", ".tds", ".tdsx"}
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in suffixes)


def test_usage_agrees_with_tableau_dependencies_across_the_corpus() -> None:
    """Used ⊇ Tableau's deps, and every field we add beyond them is explained by the closure
    or is a set/group referenced directly (Tableau does not list those in deps)."""
    missing: list[str] = []
    unexplained: list[str] = []
    audited = 0
    for path in corpus_documents():
        try:
            workbook = load_file(path, display=path.name)
        except ParseError:
            continue  # not an auditable document; the engine reports it (TA901)
        audited += 1
        usage = compute_usage(workbook)
        groups = {(ds.name, group.name) for ds in workbook.datasources for group in ds.groups}
        deps = tableau_dependencies(document_root(path))
        for datasource, names in deps.items():
            used = usage[datasource].used if datasource in usage else frozenset()
            missing.extend(f"{path.name}: {datasource}.{n}" for n in sorted(names - used))
        for datasource, ds_usage in usage.items():
            for name in sorted(ds_usage.used - deps.get(datasource, set())):
                reasons = ds_usage.reasons[name]
                closure = any(r.startswith(CLOSURE_REASONS) for r in reasons)
                if not closure and (datasource, name) not in groups:
                    unexplained.append(f"{path.name}: {datasource}.{name} {reasons}")
    assert audited >= 100
    assert missing == []
    assert unexplained == []
