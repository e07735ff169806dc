"""Field-usage closure on hand-built workbooks (tableau-format.md §0, §11, §12, §17)."""

from __future__ import annotations

from typing import Any

from tableau_audit.model import (
    Action,
    ArtifactKind,
    BlendLink,
    Calculation,
    Column,
    Dashboard,
    Datasource,
    FieldRef,
    Group,
    Parameter,
    Workbook,
    Worksheet,
)
from tableau_audit.usage import DatasourceUsage, compute_usage

DS = "federated.staff"
DS2 = "federated.targets"


def columns(*names: str) -> tuple[Column, ...]:
    return tuple(Column(name=name, caption=name) for name in names)


def calc(name: str, formula: str, caption: str = "") -> Calculation:
    return Calculation(name=name, caption=caption or name, formula=formula)


def staff(**overrides: Any) -> Datasource:
    values: dict[str, Any] = {
        "name": DS,
        "caption": "Staff",
        "columns": columns("First", "Last", "SSN", "Birthdate", "Salary", "Region", "Email"),
    }
    values.update(overrides)
    return Datasource(**values)


def targets() -> Datasource:
    return Datasource(name=DS2, caption="Targets", columns=columns("Region", "Target", "Owner"))


def sheet(name: str, *fields: str, datasource: str = DS, hidden: bool = False) -> Worksheet:
    refs = tuple(FieldRef(datasource=datasource, field=f) for f in fields)
    return Worksheet(name=name, references=refs, hidden=hidden)


def book(*datasources: Datasource, **overrides: Any) -> Workbook:
    values: dict[str, Any] = {
        "source": "t.twb",
        "kind": ArtifactKind.WORKBOOK,
        "name": "t",
        "datasources": datasources,
    }
    values.update(overrides)
    return Workbook(**values)


def used(workbook: Workbook, datasource: str = DS) -> frozenset[str]:
    return compute_usage(workbook)[datasource].used


def test_every_datasource_has_an_entry_even_when_nothing_is_used() -> None:
    usage = compute_usage(book(staff(), targets()))
    assert usage == {
        DS: DatasourceUsage(used=frozenset(), reasons={}),
        DS2: DatasourceUsage(used=frozenset(), reasons={}),
    }


def test_closure_through_calc_to_calc_to_column() -> None:
    ds = staff(
        calculations=(
            calc("Calculation_1", "[First] + ' ' + [Last]", "Full Name"),
            calc("Calculation_2", "UPPER([Calculation_1])", "Shout"),
        )
    )
    usage = compute_usage(book(ds, worksheets=(sheet("List", "Calculation_2"),)))[DS]
    assert usage.used == {"Calculation_2", "Calculation_1", "First", "Last"}
    assert usage.reasons == {
        "Calculation_1": ("calculation:Shout",),
        "Calculation_2": ("worksheet:List",),
        "First": ("calculation:Full Name",),
        "Last": ("calculation:Full Name",),
    }


def test_columns_reached_only_through_an_unused_calc_are_unused() -> None:
    ds = staff(
        calculations=(
            calc("Age", "DATEDIFF('year', [Birthdate], TODAY())"),
            calc("Pay band", "IF [Salary] > 100000 THEN 'high' END"),
        )
    )
    assert used(book(ds, worksheets=(sheet("S", "Age"),))) == {"Age", "Birthdate"}


def test_lod_expression_references() -> None:
    ds = staff(calculations=(calc("Top", "{FIXED [Region] : MAX([Salary])}"),))
    assert used(book(ds, worksheets=(sheet("S", "Top"),))) == {"Top", "Region", "Salary"}


def test_string_literals_and_comments_are_not_references() -> None:
    formula = "// was: [SSN]\nIF REGEXP_MATCH([Email], '[Salary]') THEN \"[Birthdate]\" END"
    ds = staff(calculations=(calc("Valid", formula),))
    assert used(book(ds, worksheets=(sheet("S", "Valid"),))) == {"Valid", "Email"}


def test_cross_datasource_references() -> None:
    ds = staff(calculations=(calc("Gap", f"SUM([Salary]) - SUM([{DS2}].[Target])"),))
    usage = compute_usage(book(ds, targets(), worksheets=(sheet("S", "Gap"),)))
    assert usage[DS].used == {"Gap", "Salary"}
    assert usage[DS2].used == {"Target"}
    assert usage[DS2].reasons == {"Target": ("calculation:Gap",)}


def test_sets_and_groups_referenced_by_a_calc() -> None:
    # tableau/document-api-python:test/assets/filtering.twb: a set only a calc references.
    ds = staff(
        calculations=(calc("In set", "IF [Burstout] THEN [Email] END"),),
        groups=(Group(name="Burstout", caption="Burstout Set", references=("Region",)),),
    )
    usage = compute_usage(book(ds, worksheets=(sheet("S", "In set"),)))[DS]
    assert usage.used == {"In set", "Burstout", "Email", "Region"}
    assert usage.reasons["Region"] == ("group:Burstout Set",)


def test_bins_follow_their_source_field() -> None:
    ds = staff(
        calculations=(
            Calculation(
                name="Salary (bin)", caption="Salary (bin)", formula="[Salary]", calc_class="bin"
            ),
        )
    )
    assert used(book(ds, worksheets=(sheet("S", "Salary (bin)"),))) == {"Salary (bin)", "Salary"}


def test_parameters_and_their_formulas() -> None:
    ds = staff(calculations=(calc("Shown", "IF [Parameters].[Pick] = 'a' THEN [First] END"),))
    parameters = (
        Parameter(name="Pick", caption="Pick one", formula="'a'"),
        Parameter(name="Start", caption="Start date", formula=f"[{DS}].[Birthdate]"),
    )
    usage = compute_usage(book(ds, parameters=parameters, worksheets=(sheet("S", "Shown"),)))[DS]
    assert usage.used == {"Shown", "First", "Birthdate"}
    assert usage.reasons["Birthdate"] == ("parameter:Start date",)


def test_hidden_sheets_dashboards_actions_filters_blends_and_shared_views() -> None:
    workbook = book(
        staff(filter_fields=("Region",)),
        targets(),
        worksheets=(sheet("Hidden", "First", hidden=True),),
        dashboards=(Dashboard(name="D", references=(FieldRef(datasource=DS, field="Last"),)),),
        actions=(
            Action(
                name="Mail",
                action_type="url",
                references=(FieldRef(datasource=DS, field="Email"),),
            ),
        ),
        blend_links=(
            BlendLink(
                references=(
                    FieldRef(datasource=DS, field="Region"),
                    FieldRef(datasource=DS2, field="Region"),
                )
            ),
        ),
        shared_view_references=(FieldRef(datasource=DS2, field="Owner"),),
    )
    usage = compute_usage(workbook)
    assert usage[DS].reasons == {
        "Email": ("action:Mail",),
        "First": ("worksheet:Hidden",),
        "Last": ("dashboard:D",),
        "Region": ("blend", "filter"),
    }
    assert usage[DS2].reasons == {"Owner": ("shared-view",), "Region": ("blend",)}


def test_datasource_filter_through_a_calc() -> None:
    # Row-level security: the filter is a calc over the user's e-mail column.
    ds = staff(
        calculations=(calc("RLS", "[Email] = USERNAME()"),),
        filter_fields=("RLS",),
    )
    assert used(book(ds)) == {"RLS", "Email"}


def test_cycles_terminate() -> None:
    ds = staff(calculations=(calc("A", "[B] + [First]"), calc("B", "[A]")))
    assert used(book(ds, worksheets=(sheet("S", "A"),))) == {"A", "B", "First"}


def test_standalone_datasource_uses_its_own_calcs_groups_and_filters() -> None:
    ds = staff(
        calculations=(calc("Full", "[First] + [Last]"),),
        groups=(Group(name="Regions", caption="Regions", references=("Region",)),),
        filter_fields=("Salary",),
    )
    workbook = book(ds, kind=ArtifactKind.DATASOURCE)
    usage = compute_usage(workbook)[DS]
    assert usage.used == {"First", "Last", "Region", "Salary"}
    assert usage.reasons == {
        "First": ("calculation:Full",),
        "Last": ("calculation:Full",),
        "Region": ("group:Regions",),
        "Salary": ("filter",),
    }


def test_references_to_unknown_datasources_are_ignored() -> None:
    ds = staff(calculations=(calc("N", "COUNT([__tableau_internal_object_id__].[Orders_1])"),))
    workbook = book(ds, worksheets=(sheet("S", "N"), sheet("T", "x", datasource="gone")))
    assert compute_usage(workbook) == {
        DS: DatasourceUsage(used=frozenset({"N"}), reasons={"N": ("worksheet:S",)})
    }
