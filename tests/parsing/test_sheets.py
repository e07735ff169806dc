"""Worksheets, dashboards, actions, blend links and shared views (tableau-format.md §11, §13)."""

from __future__ import annotations

from lxml import etree

from tableau_audit.model import Calculation, Column, Datasource, FieldRef
from tableau_audit.parsing.sheets import SheetParts, parse_sheets

DS = "federated.0abc"
DS2 = "federated.1xyz"
USER_NS = "http://www.tableausoftware.com/xml/user"

DATASOURCES = f"""
<datasources>
  <datasource hasconnection='false' inline='true' name='Parameters'>
    <column caption='Top N' datatype='integer' name='[Parameter 1]' param-domain-type='range'>
      <calculation class='tableau' formula='10' />
    </column>
  </datasource>
  <datasource caption='Staff' name='{DS}'>
    <column datatype='string' name='[First Name]' role='dimension' type='nominal' />
    <column caption='Full Name' datatype='string' name='[Calculation_1]' role='dimension'>
      <calculation class='tableau' formula="[First Name] + ' ' + [Last Name]" />
    </column>
    <column-instance column='[Hiredate]' derivation='Year' name='[yr:Hiredate:ok]' pivot='key' />
    <group caption='Tooltip (State)' hidden='true' name='[Tooltip (State)]'
           user:auto-column='sheet_link'>
      <groupfilter function='crossjoin'>
        <groupfilter function='level-members' level='[State]' />
      </groupfilter>
    </group>
  </datasource>
  <datasource caption='Targets' name='{DS2}'>
    <column datatype='real' name='[Target]' role='measure' type='quantitative' />
  </datasource>
</datasources>
"""

MODEL = (
    Datasource(
        name=DS,
        caption="Staff",
        columns=(
            Column(name="First Name", caption="First Name"),
            Column(name="Last Name", caption="Last Name"),
            Column(name="State", caption="State"),
            Column(name="Email", caption="E-mail"),
            Column(name="Salary", caption="Salary"),
            Column(name="Hiredate", caption="Hire date"),
            Column(name="Region", caption="Region"),
        ),
        calculations=(
            Calculation(
                name="Calculation_1", caption="Full Name", formula="[First Name]+' '+[Last Name]"
            ),
        ),
    ),
    Datasource(name=DS2, caption="Targets", columns=(Column(name="Target", caption="Target"),)),
)


def workbook(body: str, *, datasources: str = DATASOURCES) -> etree._Element:
    xml = f"<workbook xmlns:user='{USER_NS}' version='18.1'>{datasources}{body}</workbook>"
    return etree.fromstring(xml.encode())


def parse(body: str) -> SheetParts:
    return parse_sheets(workbook(body), MODEL, "test.twb")


def fields(refs: tuple[FieldRef, ...]) -> set[tuple[str, str]]:
    return {(ref.datasource, ref.field) for ref in refs}


def worksheet(name: str, view: str, table: str = "") -> str:
    return (
        f"<worksheet name='{name}'><table><view>"
        f"<datasources><datasource caption='Staff' name='{DS}' /></datasources>"
        f"{view}</view>{table}</table></worksheet>"
    )


def test_dependencies_resolve_instances_through_their_column_attribute() -> None:
    # The instance name says "Wrong": only @column may be trusted.
    view = f"""
      <datasource-dependencies datasource='{DS}'>
        <column datatype='string' name='[Calculation_1]' />
        <column-instance column='[State]' derivation='None' name='[none:Wrong:nk]' />
      </datasource-dependencies>
      <slices><column>[{DS}].[none:Wrong:nk]</column></slices>"""
    parts = parse(f"<worksheets>{worksheet('Sheet 1', view)}</worksheets>")
    (sheet,) = parts.worksheets
    assert sheet.name == "Sheet 1"
    assert fields(sheet.references) == {(DS, "Calculation_1"), (DS, "State")}


def test_every_place_a_sheet_names_a_field() -> None:
    view = f"""
      <filter class='quantitative' column='[{DS}].[Salary]' />
      <computed-sort column='[{DS}].[yr:Hiredate:ok]' direction='DESC' using='[{DS}].[Region]' />
      <reference-line axis-column='[{DS2}].[Target]' />"""
    table = f"""
      <style><style-rule element='header'>
        <format attr='width' field='[{DS}].[First Name]' value='9' />
      </style-rule></style>
      <panes><pane><encodings><color column='[{DS}].[Calculation_1]' /></encodings>
        <customized-tooltip><formatted-text>
          <run>&lt;</run><run>[{DS}].[Email]</run><run>&gt;</run>
        </formatted-text></customized-tooltip>
      </pane></panes>
      <rows>([{DS}].[Last Name] / [Parameters].[Parameter 1])</rows><cols /> """
    parts = parse(f"<worksheets>{worksheet('S', view, table)}</worksheets>")
    assert fields(parts.worksheets[0].references) == {
        (DS, "Salary"),
        (DS, "Hiredate"),
        (DS, "Region"),
        (DS2, "Target"),
        (DS, "First Name"),
        (DS, "Calculation_1"),
        (DS, "Email"),
        (DS, "Last Name"),
        ("Parameters", "Parameter 1"),
    }


def test_pseudo_fields_are_dropped_and_action_filters_keep_their_level() -> None:
    view = f"""
      <filter class='categorical' column='[{DS}].[Tooltip (State)]'>
        <groupfilter function='member' level='[State]' member='&quot;Michigan&quot;' />
      </filter>
      <filter class='categorical' column='[{DS}].[:Measure Names]'>
        <groupfilter function='member' level='[:Measure Names]'
                     member='&quot;[{DS}].[sum:Number of Records:qk]&quot;' />
      </filter>"""
    table = f"""<panes><pane><encodings>
        <lod column='[{DS}].[Multiple Values]' />
        <geometry column='[{DS}].[Geometry (generated)]' />
        <text column='[{DS}].[__tableau_internal_object_id__].[cnt:Orders_6D2E:qk]' />
      </encodings></pane></panes>
      <rows>[{DS}].[Latitude (generated)]</rows><cols>[{DS}].[Number of Records]</cols>"""
    parts = parse(f"<worksheets>{worksheet('S', view, table)}</worksheets>")
    # Michigan is a data value, never a field; Number of Records is no calc here.
    assert fields(parts.worksheets[0].references) == {(DS, "State")}


def test_number_of_records_is_kept_when_it_is_a_calculation() -> None:
    datasources = DATASOURCES.replace(
        "<column datatype='string' name='[First Name]'",
        "<column name='[Number of Records]' user:auto-column='numrec'>"
        "<calculation class='tableau' formula='1' /></column>"
        "<column datatype='string' name='[First Name]'",
    )
    view = f"<filter class='quantitative' column='[{DS}].[sum:Number of Records:qk]' />"
    deps = f"""<datasource-dependencies datasource='{DS}'>
        <column-instance column='[Number of Records]' name='[sum:Number of Records:qk]' />
      </datasource-dependencies>"""
    root = workbook(
        f"<worksheets>{worksheet('S', deps + view)}</worksheets>", datasources=datasources
    )
    parts = parse_sheets(root, MODEL, "t.twb")
    assert fields(parts.worksheets[0].references) == {(DS, "Number of Records")}


def test_datasource_level_instances_resolve_shelf_references() -> None:
    parts = parse(
        f"<worksheets>{worksheet('S', '', f'<rows>[{DS}].[yr:Hiredate:ok]</rows>')}</worksheets>"
    )
    assert fields(parts.worksheets[0].references) == {(DS, "Hiredate")}


def test_hidden_worksheets() -> None:
    sheets = "".join(worksheet(name, "") for name in ("Shown", "Hidden", "Old hidden"))
    windows = """<windows>
        <window class='worksheet' name='Shown' />
        <window class='worksheet' hidden='true' name='Hidden' />
        <window class='hidden-worksheet' name='Old hidden' />
        <window class='dashboard' hidden='true' name='Shown' />
      </windows>"""
    parts = parse(f"<worksheets>{sheets}</worksheets>{windows}")
    assert {(s.name, s.hidden) for s in parts.worksheets} == {
        ("Shown", False),
        ("Hidden", True),
        ("Old hidden", True),
    }


def test_dashboards_list_shown_sheets_and_their_own_references() -> None:
    body = f"""<dashboards><dashboard name='Overview'>
        <datasource-dependencies datasource='{DS}'>
          <column name='[Region]' />
        </datasource-dependencies>
        <zones><zone type='layout-basic'>
          <zone name='Map' id='3' />
          <zone name='Map' id='4' type='filter' param='[{DS}].[none:Email:nk]' />
          <zone type-v2='paramctrl' param='[Parameters].[Parameter 1]' />
          <zone name='Bars' id='5' />
          <zone type-v2='text' id='6' />
        </zone></zones>
      </dashboard></dashboards>"""
    (dashboard,) = parse(body).dashboards
    assert dashboard.name == "Overview"
    assert dashboard.sheets == ("Map", "Bars")
    # none:Email:nk is declared nowhere, so it cannot be resolved and is dropped.
    assert fields(dashboard.references) == {(DS, "Region"), ("Parameters", "Parameter 1")}


def test_filter_and_url_actions_read_the_link_expression() -> None:
    sheet = worksheet(
        "List",
        f"<datasource-dependencies datasource='{DS}'><column name='[Email]' />"
        "</datasource-dependencies>",
    )
    target = f"%5B{DS}%5D.%5Byr%3AHiredate%3Aok%5D"
    body = f"""<worksheets>{sheet}</worksheets><actions>
      <action caption='To detail' name='[Action1]'>
        <source dashboard='D' type='sheet' worksheet='List' />
        <link expression='tsl:Detail?{target}~s0=&lt;YEAR([Salary])~na&gt;' />
        <command command='tsc:tsl-filter'><param name='target' value='Detail' /></command>
      </action>
      <action caption='Mail' name='[Action2]'>
        <source dashboard='D' type='sheet' worksheet='List' />
        <link expression='mailto:&lt;[Email]&gt;?subject=&lt;[{DS2}].[Target]&gt;'>
          <url-action-type>browser</url-action-type></link>
      </action>
      <action name='[Action3]'>
        <source datasource='Staff' type='datasource' />
        <link expression='tsl:X?%5BStaff%5D.%5BState%5D~s0=&lt;[none:Region:nk]~na&gt;' />
        <command command='tsc:tsl-filter' />
      </action>
    </actions>"""
    actions = {action.name: action for action in parse(body).actions}
    assert set(actions) == {"To detail", "Mail", "Action3"}
    assert actions["To detail"].action_type == "filter"
    assert fields(actions["To detail"].references) == {(DS, "Hiredate"), (DS, "Salary")}
    assert actions["Mail"].action_type == "url"
    assert fields(actions["Mail"].references) == {(DS, "Email"), (DS2, "Target")}
    # Old files qualify with the caption-like name; the bare instance is not declared: dropped.
    assert fields(actions["Action3"].references) == {(DS, "State")}


def test_parameter_set_highlight_and_navigation_actions() -> None:
    body = f"""<worksheets>{worksheet("A", f"<rows>[{DS}].[Region]</rows>")}</worksheets>
      <dashboards><dashboard name='D'><zones><zone name='A' /></zones></dashboard></dashboards>
      <actions>
      <edit-parameter-action caption='Pick' name='[Action1]'>
        <source dashboard='D' type='sheet' worksheet='A' />
        <params><param name='source-field' value='[{DS}].[yr:Hiredate:ok]' />
          <param name='target-parameter' value='[Parameters].[Parameter 1]' /></params>
      </edit-parameter-action>
      <edit-group-action caption='Set' name='[Action2]'>
        <source dashboard='D' type='sheet' />
        <params><param name='target-group' value='[{DS}].[Calculation_1]' /></params>
      </edit-group-action>
      <action caption='Hl' name='[Action3]'>
        <source dashboard='D' type='sheet' />
        <command command='tsc:brush'><param name='field-captions' value='E-mail,Full Name' />
        </command>
      </action>
      <nav-action caption='Go' name='[Action4]'>
        <source dashboard='D' type='sheet' worksheet='A' />
        <params><param name='sheet' value='A' /></params>
      </nav-action>
    </actions>"""
    actions = {a.name: (a.action_type, fields(a.references)) for a in parse(body).actions}
    assert actions == {
        "Pick": ("parameter", {(DS, "Hiredate"), ("Parameters", "Parameter 1")}),
        "Set": ("set", {(DS, "Calculation_1")}),
        "Hl": ("highlight", {(DS, "Email"), (DS, "Calculation_1")}),
        "Go": ("nav", set()),
    }


def test_blend_links_resolve_through_the_relationship_dependencies() -> None:
    body = f"""<datasource-relationships>
      <datasource-dependencies datasource='{DS2}'>
        <column name='[Region]' />
        <column-instance column='[Region]' name='[none:Region:nk]' />
      </datasource-dependencies>
      <datasource-relationship source='{DS}' target='{DS2}'><column-mapping>
        <map key='[{DS2}].[none:Region:nk]' value='[{DS}].[Region]' />
      </column-mapping></datasource-relationship>
    </datasource-relationships>"""
    (link,) = parse(body).blend_links
    assert fields(link.references) == {(DS2, "Region"), (DS, "Region")}


def test_shared_views() -> None:
    body = f"""<shared-views><shared-view name='{DS}'>
      <datasources><datasource name='{DS}' /></datasources>
      <filter class='categorical' column='[{DS}].[none:Region:nk]'>
        <groupfilter function='member' level='[none:Region:nk]' member='&quot;West&quot;' />
      </filter>
      <datasource-dependencies datasource='{DS}'>
        <column-instance column='[Region]' name='[none:Region:nk]' />
      </datasource-dependencies>
    </shared-view></shared-views>"""
    assert fields(parse(body).shared_view_references) == {(DS, "Region")}


def test_empty_workbook() -> None:
    assert parse("") == SheetParts()


def test_escaped_and_xml_special_names() -> None:
    # ``]]`` escapes a bracket inside a name (group names such as
    # ``[[Exclusions (Country Name,YEAR(Date))]]]`` in tabcmd's WorldIndicators.tds); ``&``,
    # ``<`` and quotes must survive the serialized scan.
    datasources = DATASOURCES.replace(
        "<column datatype='string' name='[First Name]'",
        "<group name='[[Exclusions (Region)]]]' user:auto-column='exclude' />"
        "<column datatype='string' name='[R&amp;D &lt;&quot;x&quot;&gt;]' />"
        "<column datatype='string' name='[R&amp;D &lt;&apos;x&apos;&gt;]' />"
        "<column datatype='string' name='[First Name]'",
    )
    view = f"""
      <filter class='categorical' column='[{DS}].[[Exclusions (Region)]]]' />
      <slices><column>[{DS}].[R&amp;D &lt;'x'&gt;]</column></slices>
      <sort column='[{DS}].[R&amp;D &lt;&quot;x&quot;&gt;]' />"""
    root = workbook(f"<worksheets>{worksheet('S', view)}</worksheets>", datasources=datasources)
    parts = parse_sheets(root, MODEL, "t.twb")
    assert fields(parts.worksheets[0].references) == {
        (DS, "[Exclusions (Region)]"),
        (DS, 'R&D <"x">'),
        (DS, "R&D <'x'>"),
    }


def test_highlight_captions_are_looked_up_in_the_action_source_only() -> None:
    # "Region" is a caption in both data sources (a deps column of DS2 renames Target); the
    # action's source is DS2, so only DS2's fields count, and the model's own field (Target
    # captioned "Target") wins over a later deps caption for the same text.
    body = f"""<worksheets>{
        worksheet(
            "A",
            f'''
      <datasource-dependencies datasource='{DS2}'>
        <column caption='Region' name='[Target]' />
        <column caption='Target' name='[Plan]' />
      </datasource-dependencies>''',
        )
    }</worksheets>
      <actions>
      <action caption='Hl' name='[Action1]'>
        <source datasource='{DS2}' type='sheet' />
        <command command='tsc:brush'><param name='field-captions' value='Region,Target' />
        </command>
      </action></actions>"""
    (action,) = parse(body).actions
    assert [(ref.datasource, ref.field) for ref in action.references] == [(DS2, "Target")]


def test_the_same_reference_in_several_sheets_resolves_alike() -> None:
    view = f"""<rows>[{DS}].[yr:Hiredate:ok]</rows><cols>[{DS}].[Salary] [{DS}].[Nope]</cols>"""
    parts = parse(f"<worksheets>{worksheet('A', view)}{worksheet('B', view)}</worksheets>")
    assert [list(sheet.references) for sheet in parts.worksheets] == [
        [FieldRef(datasource=DS, field="Hiredate"), FieldRef(datasource=DS, field="Salary")]
    ] * 2
