"""XML tree → model: data sources, connections, columns, calculations, groups, extracts."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.model import (
    ArtifactKind,
    Calculation,
    Column,
    Connection,
    Datasource,
    ExtractColumn,
    ExtractStatus,
    Group,
    Parameter,
    PublishedRef,
    Relation,
)
from tableau_audit.parsing import load_file
from tableau_audit.parsing.detect import HYPER_MAGIC, TDE_MAGIC
from tableau_audit.parsing.extract import column_records
from tableau_audit.parsing.twb import build_workbook, release_of
from tableau_audit.parsing.xml import parse_xml

DS = "federated.0abc"

WORKBOOK = f"""<?xml version='1.0' encoding='utf-8' ?>
<workbook source-build='2024.3.0 (20243.24.1010.1014)' version='18.1'
          xmlns:user='http://www.tableausoftware.com/xml/user'>
  <datasources>
    <datasource hasconnection='false' inline='true' name='Parameters' version='18.1'>
      <column caption='Top N' datatype='integer' name='[Parameter 1]' param-domain-type='range'
              role='measure' type='quantitative' value='5'>
        <calculation class='tableau' formula='5' />
      </column>
    </datasource>
    <datasource caption='Staff' inline='true' name='{DS}' version='18.1'>
      <connection class='federated'>
        <named-connections>
          <named-connection caption='hr.csv' name='textscan.1'>
            <connection class='textscan' directory='C:/Users/me' filename='hr.csv' password='' />
          </named-connection>
          <named-connection caption='db' name='postgres.2'>
            <connection class='postgres' dbname='hr' one-time-sql='SET ROLE x' password='pw1'
                        port='5432' server='db.example' username='svc' />
          </named-connection>
        </named-connections>
        <relation join='inner' type='join'>
          <clause type='join'><expression op='='/></clause>
          <relation connection='textscan.1' name='hr.csv' table='[hr#csv]' type='table'>
            <columns header='yes'>
              <column datatype='string' name='Employee_ID' ordinal='0' />
              <column datatype='string' name='Nickname' ordinal='1' />
            </columns>
          </relation>
          <relation connection='postgres.2' name='Pay (Custom SQL)' type='text'
            >SELECT id, salary FROM pay</relation>
          <relation connection='postgres.2' name='S3 (Custom SQL)' type='text'
            >SELECT * FROM s3('bucket', 'AKIAIOSFODNN7EXAMPLE')</relation>
        </relation>
        <metadata-records>
          <metadata-record class='capability'>
            <remote-name /><parent-name>[hr.csv]</parent-name>
          </metadata-record>
          <metadata-record class='column'>
            <remote-name>Employee_ID</remote-name><local-name>[Employee_ID]</local-name>
            <parent-name>[hr.csv]</parent-name><local-type>string</local-type>
          </metadata-record>
          <metadata-record class='column'>
            <remote-name>SSN</remote-name><local-name>[SSN]</local-name>
            <parent-name>[hr.csv]</parent-name><local-type>string</local-type>
          </metadata-record>
          <metadata-record class='column'>
            <remote-name>id</remote-name><local-name>[id]</local-name>
            <parent-name>[Pay (Custom SQL)]</parent-name><local-type>integer</local-type>
          </metadata-record>
          <metadata-record class='column'>
            <remote-name>Employee_ID</remote-name><local-name>[Employee_ID (Pay)]</local-name>
            <parent-name>[Pay (Custom SQL)]</parent-name><local-type>string</local-type>
          </metadata-record>
        </metadata-records>
      </connection>
      <column caption='Employee ID' datatype='string' name='[Employee_ID]' role='dimension' />
      <column datatype='string' hidden='true' name='[SSN]' role='dimension' />
      <column caption='Age (bin)' datatype='integer' name='[Age (bin)]'>
        <calculation class='bin' formula='[Age]' size-parameter='[Parameters].[Parameter 1]' />
      </column>
      <column caption='Status group' datatype='string' name='[Status (group)]'>
        <calculation class='categorical-bin' column='[Status]' new-bin='true'>
          <bin value='&quot;Gone&quot;'><value>&quot;Terminated&quot;</value></bin>
        </calculation>
      </column>
      <column caption='Full Name' datatype='string' hidden='true' name='[Calculation_1]'>
        <calculation class='tableau' formula="[First] + ' ' + [Last]" />
      </column>
      <group caption='Top staff' name='[Top Staff]' name-style='unqualified'>
        <groupfilter count='[Parameters].[Parameter 1]' end='top' function='end'>
          <groupfilter direction='DESC' expression='SUM([Salary])' function='order'>
            <groupfilter function='level-members' level='[Employee_ID]' />
          </groupfilter>
        </groupfilter>
      </group>
      <group hidden='true' name='[Tooltip (State)]' user:auto-column='sheet_link'>
        <groupfilter function='crossjoin'>
          <groupfilter function='level-members' level='[State]' />
        </groupfilter>
      </group>
      <filter class='categorical' column='[Calculation_RLS]' filter-group='2'>
        <groupfilter function='member' level='[Calculation_RLS]' member='true' />
      </filter>
      <extract count='-1' enabled='true' units='records'>
        <connection class='hyper' dbname='Data/Extracts/staff.hyper' schema='Extract'
                    tablename='Extract'>
          <relation name='Extract' table='[Extract].[Extract]' type='table' />
          <refresh>
            <refresh-event rows-inserted='100' refresh-type='create' />
            <refresh-event rows-inserted='7' refresh-type='increment' />
          </refresh>
          <metadata-records>
            <metadata-record class='column'>
              <remote-name>Employee_ID</remote-name><local-name>[Employee_ID]</local-name>
              <parent-name>[Extract]</parent-name>
            </metadata-record>
            <metadata-record class='column'>
              <remote-name>Employee_ID1</remote-name><local-name>[Employee_ID (Pay)]</local-name>
              <parent-name>[Extract]</parent-name>
            </metadata-record>
          </metadata-records>
        </connection>
      </extract>
    </datasource>
    <datasource caption='Published' inline='true' name='sqlproxy.9xyz' version='18.1'>
      <repository-location id='HRSource' path='/t/acme/datasources' revision='1.0' site='acme' />
      <connection channel='https' class='sqlproxy' dbname='HRSource' port='443'
                  server='tableau.example' username=''>
        <relation name='sqlproxy' table='[sqlproxy]' type='table' />
        <calculations>
          <calculation column='[Number of Records]' formula='1' />
        </calculations>
      </connection>
      <column datatype='integer' name='[Number of Records]' role='measure'
              user:auto-column='numrec' />
    </datasource>
  </datasources>
  <mapsources>
    <mapsource name='Mapbox'>
      <connection class='MapBox' api-key='' url-format='https://api.mapbox.com/{{z}}' />
    </mapsource>
  </mapsources>
</workbook>
"""


def line(snippet: str, text: str = WORKBOOK) -> int:
    """Line lxml reports for the element whose start tag contains ``snippet``.

    libxml2 numbers an element by the line where its start tag ends.
    """
    rows = text.splitlines()
    start = next(i for i, row in enumerate(rows) if snippet in row)
    end = next(i for i in range(start, len(rows)) if ">" in rows[i])
    return end + 1


@pytest.fixture(scope="module")
def workbook_xml() -> bytes:
    return WORKBOOK.encode()


def build(data: bytes, source: str = "book.twb") -> Datasource:
    workbook = build_workbook(parse_xml(data, source), source=source, name="book")
    return workbook.datasources[0]


def test_workbook_level(workbook_xml: bytes) -> None:
    workbook = build_workbook(parse_xml(workbook_xml, "book.twb"), source="book.twb", name="book")
    assert (workbook.kind, workbook.name, workbook.version) == (
        ArtifactKind.WORKBOOK,
        "book",
        "2024.3",
    )
    assert [ds.name for ds in workbook.datasources] == [DS, "sqlproxy.9xyz"]
    assert workbook.parameters == (
        Parameter(
            name="Parameter 1",
            caption="Top N",
            datatype="integer",
            formula="5",
            line=line("[Parameter 1]"),
        ),
    )
    assert workbook.package == ()


def test_connections_are_the_named_connection_leaves(workbook_xml: bytes) -> None:
    ds = build(workbook_xml)
    assert (ds.name, ds.caption) == (DS, "Staff")
    assert ds.connections == (
        Connection(
            connection_class="textscan",
            filename="hr.csv",
            directory="C:/Users/me",
            caption="hr.csv",
            line=line("class='textscan'"),
        ),
        Connection(
            connection_class="postgres",
            server="db.example",
            port="5432",
            dbname="hr",
            username="svc",
            caption="db",
            has_password=True,
            has_initial_sql=True,
            line=line("class='postgres'"),
        ),
    )


def test_relations_include_joins_and_custom_sql(workbook_xml: bytes) -> None:
    ds = build(workbook_xml)
    assert ds.relations == (
        Relation(name="", relation_type="join", line=line("type='join'")),
        Relation(
            name="hr.csv",
            relation_type="table",
            table="[hr#csv]",
            connection="textscan.1",
            line=line("name='hr.csv' table"),
        ),
        Relation(
            name="Pay (Custom SQL)",
            relation_type="text",
            connection="postgres.2",
            custom_sql="SELECT id, salary FROM pay",
            line=line("(Custom SQL)' type='text'"),
        ),
        Relation(
            name="S3 (Custom SQL)",
            relation_type="text",
            connection="postgres.2",
            custom_sql="SELECT * FROM s3('bucket', 'AKIAIOSFODNN7EXAMPLE')",
            line=line("'S3 (Custom SQL)'"),
        ),
    )


def test_physical_columns_with_overrides_and_text_file_columns(workbook_xml: bytes) -> None:
    ds = build(workbook_xml)
    assert [
        (c.name, c.caption, c.remote_name, c.table, c.datatype, c.hidden) for c in ds.columns
    ] == [
        ("Employee_ID", "Employee ID", "Employee_ID", "hr.csv", "string", False),
        ("SSN", "SSN", "SSN", "hr.csv", "string", True),
        ("id", "id", "id", "Pay (Custom SQL)", "integer", False),
        (
            "Employee_ID (Pay)",
            "Employee_ID (Pay)",
            "Employee_ID",
            "Pay (Custom SQL)",
            "string",
            False,
        ),
        # only in relation/columns: a text-file column without a metadata-record
        ("Nickname", "Nickname", "Nickname", "hr.csv", "string", False),
    ]
    assert ds.columns[1] == Column(
        name="SSN", caption="SSN", remote_name="SSN", table="hr.csv", datatype="string",
        hidden=True, line=line("<remote-name>SSN") - 1,
    )  # fmt: skip


def test_calculations_bins_and_legacy_calculations(workbook_xml: bytes) -> None:
    ds = build(workbook_xml)
    assert [(c.name, c.caption, c.formula, c.calc_class, c.hidden) for c in ds.calculations] == [
        ("Age (bin)", "Age (bin)", "[Age]", "bin", False),
        ("Status (group)", "Status group", "[Status]", "categorical-bin", False),
        ("Calculation_1", "Full Name", "[First] + ' ' + [Last]", "tableau", True),
    ]
    published = build_workbook(parse_xml(workbook_xml, "b"), source="b", name="b").datasources[1]
    assert published.calculations == (
        Calculation(
            name="Number of Records",
            caption="Number of Records",
            formula="1",
            line=line("[Number of Records]' formula"),
        ),
    )


def test_groups_and_data_source_filters(workbook_xml: bytes) -> None:
    ds = build(workbook_xml)
    assert ds.groups == (
        Group(name="Top Staff", caption="Top staff", references=("Salary", "Employee_ID"),
              line=line("[Top Staff]")),
        Group(
            name="Tooltip (State)", caption="Tooltip (State)", references=("State",), hidden=True,
            line=line("[Tooltip (State)]"),
        ),
    )  # fmt: skip
    assert ds.filter_fields == ("Calculation_RLS",)


def test_single_table_extract_mapping(workbook_xml: bytes) -> None:
    extract = build(workbook_xml).extract
    assert extract is not None
    assert (extract.dbname, extract.connection_class, extract.enabled, extract.live) == (
        "Data/Extracts/staff.hyper",
        "hyper",
        True,
        False,
    )
    assert extract.columns == (
        ExtractColumn(local_name="Employee_ID", remote_name="Employee_ID", table="Extract.Extract"),
        ExtractColumn(
            local_name="Employee_ID (Pay)", remote_name="Employee_ID1", table="Extract.Extract"
        ),
    )
    assert extract.row_count_hint == 107
    assert (extract.status, extract.file) == (ExtractStatus.NOT_PACKAGED, None)


def test_stored_secrets_are_masked_with_their_place(workbook_xml: bytes) -> None:
    workbook = build_workbook(parse_xml(workbook_xml, "b"), source="b", name="b")
    found = [(s.kind, s.place, s.attribute, s.line) for s in workbook.secrets]
    assert found == [
        ("password", ("datasource:Staff", "connection:postgres"), "password",
         line("class='postgres'")),
        ("aws-access-key", ("datasource:Staff", "relation:S3 (Custom SQL)"), "custom-sql",
         line("'S3 (Custom SQL)'")),
    ]  # fmt: skip
    assert "pw1" not in repr(workbook)
    assert all("AKIAIOSFODNN7EXAMPLE" not in s.masked for s in workbook.secrets)


def test_published_reference(workbook_xml: bytes) -> None:
    workbook = build_workbook(parse_xml(workbook_xml, "b"), source="b", name="b")
    assert workbook.datasources[0].published is None
    assert workbook.datasources[1].published == PublishedRef(
        name="HRSource", server="tableau.example", site="acme", path="/t/acme/datasources"
    )


MULTI_TABLE = b"""<datasource formatted-name='Sales' inline='true' version='18.1'>
  <connection class='federated'>
    <named-connections>
      <named-connection name='excel.1'>
        <connection class='excel-direct' filename='s.xlsx'/>
      </named-connection>
    </named-connections>
  </connection>
  <extract enabled='true'>
    <connection class='hyper' dbname='Data/TableauTemp/t.hyper' schema='Extract'
                tablename='Extract'>
      <relation type='collection'>
        <relation name='accounts_A1' table='[Extract].[accounts_A1]' type='table' />
        <relation name='orders_B2' table='[Extract].[orders_B2]' type='table' />
      </relation>
      <cols>
        <map key='[account_id]' value='[accounts_A1].[account_id]' />
        <map key='[account_id (orders)]' value='[orders_B2].[account_id]' />
      </cols>
      <metadata-records>
        <metadata-record class='column'>
          <remote-name>account_id</remote-name><local-name>[account_id]</local-name>
          <parent-name>[accounts_A1]</parent-name>
        </metadata-record>
      </metadata-records>
    </connection>
  </extract>
</datasource>
"""


def test_multi_table_extract_uses_cols_map() -> None:
    workbook = build_workbook(parse_xml(MULTI_TABLE, "s.tds"), source="s.tds", name="s")
    assert workbook.kind is ArtifactKind.DATASOURCE
    ds = workbook.datasources[0]
    assert (ds.name, ds.caption) == ("Sales", "Sales")
    assert ds.extract is not None
    assert ds.extract.columns == (
        ExtractColumn(
            local_name="account_id", remote_name="account_id", table="Extract.accounts_A1"
        ),
        ExtractColumn(
            local_name="account_id (orders)", remote_name="account_id", table="Extract.orders_B2"
        ),
    )


LIVE_AND_DISABLED = b"""<workbook version='18.1'><datasources>
  <datasource caption='Obesity' name='federated.1'>
    <connection class='federated'>
      <named-connections>
        <named-connection name='hyper.1'>
          <connection class='hyper' dbname='Data/Extracts/live.hyper' schema='public' />
        </named-connection>
      </named-connections>
      <relation connection='hyper.1' name='Obesity' table='[public].[Obesity]' type='table' />
      <metadata-records>
        <metadata-record class='column'>
          <remote-name>state</remote-name><local-name>[State]</local-name>
          <parent-name>[Obesity]</parent-name>
        </metadata-record>
      </metadata-records>
    </connection>
    <extract enabled='false'>
      <connection class='hyper' dbname='Data/Regional/stale.hyper' />
    </extract>
  </datasource>
  <datasource caption='Stale' name='federated.2'>
    <connection class='federated'><named-connections/></connection>
    <extract enabled='false'>
      <connection class='hyper' dbname='Data/Regional/stale.hyper' />
    </extract>
  </datasource>
</datasources></workbook>
"""


def package_file(tmp_path: Path, name: str, members: list[tuple[str, bytes]]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members:
            archive.writestr(member, data)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def test_live_hyper_connection_counts_as_the_extract(tmp_path: Path) -> None:
    hyper = HYPER_MAGIC + bytes(64)
    path = package_file(
        tmp_path,
        "regional.twbx",
        [("Regional.twb", LIVE_AND_DISABLED), ("Data/Extracts/live.hyper", hyper)],
    )
    workbook = load_file(path)
    live, stale = (ds.extract for ds in workbook.datasources)
    assert live is not None
    assert stale is not None
    assert (live.live, live.enabled, live.status, live.dbname) == (
        True, True, ExtractStatus.PACKAGED, "Data/Extracts/live.hyper",
    )  # fmt: skip
    assert live.file is not None
    assert live.file.path == "Data/Extracts/live.hyper"
    assert live.columns == (
        ExtractColumn(local_name="State", remote_name="state", table="public.Obesity"),
    )
    assert (stale.live, stale.enabled, stale.status, stale.file) == (
        False, False, ExtractStatus.DISABLED, None,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("members", "status"),
    [
        ([("Data/Extracts/staff.hyper", HYPER_MAGIC + bytes(8))], ExtractStatus.PACKAGED),
        ([("Data/Extracts/staff.hyper", b"")], ExtractStatus.EMPTY),
        ([("Data/Extracts/other.hyper", HYPER_MAGIC)], ExtractStatus.MISSING),
    ],
)
def test_extract_status_in_a_package(
    tmp_path: Path, members: list[tuple[str, bytes]], status: ExtractStatus
) -> None:
    path = package_file(tmp_path, "book.twbx", [("book.twb", WORKBOOK.encode()), *members])
    extract = load_file(path, display="shared/book.twbx").datasources[0].extract
    assert extract is not None
    assert extract.status is status
    assert (extract.file is not None) == (status is not ExtractStatus.MISSING)


def test_release_numbers() -> None:
    def release(attrs: str) -> str:
        return release_of(parse_xml(f"<workbook {attrs}/>".encode(), "x"))

    assert release("source-build='2024.3.0 (20243.24.1010.1014)' version='18.1'") == "2024.3"
    assert release("source-build='10.3.20 (10300.19.0414.2229)' version='10.3'") == "10.3"
    assert release("source-build='0.0.0 (0000.16.0510.1300)' version='10.0'") == "10.0"
    assert release("version='8.3'") == "8.3"
    assert release("") == ""


def test_tds_without_names_falls_back_to_the_file_name() -> None:
    workbook = build_workbook(
        parse_xml(b"<datasource version='9.2'><connection class='dataengine' dbname='w.tde'/>"
                  b"</datasource>", "w.tds"),
        source="w.tds",
        name="world",
    )  # fmt: skip
    ds = workbook.datasources[0]
    assert (ds.name, ds.caption) == ("world", "world")
    assert ds.extract is not None
    assert (ds.extract.live, ds.extract.status, ds.extract.dbname) == (
        True, ExtractStatus.NOT_PACKAGED, "w.tde",
    )  # fmt: skip


def test_unknown_root_is_refused() -> None:
    with pytest.raises(ParseError, match=r"root element is <html>, not <workbook> or <datasource>"):
        build_workbook(parse_xml(b"<html/>", "page.twb"), source="page.twb", name="page")


GROUPS_AND_PROXY = b"""<workbook version='18.1'><datasources>
  <datasource caption='World' name='sqlproxy.1'>
    <connection class='sqlproxy' dbname='World' server='tableau.example'>
      <relation name='sqlproxy' table='[sqlproxy]' type='table' />
      <calculations><calculation column='[Ratio]' formula='SUM([GDP])/SUM([Pop])' /></calculations>
      <metadata-records>
        <metadata-record class='measure'>
          <remote-name>Ratio</remote-name><local-name>[Ratio]</local-name>
          <parent-name>[sqlproxy]</parent-name>
        </metadata-record>
        <metadata-record class='column'>
          <remote-name>Country</remote-name><local-name>[Country]</local-name>
          <parent-name>[sqlproxy]</parent-name>
        </metadata-record>
        <metadata-record class='measure'>
          <remote-name>GDP</remote-name><local-name>[GDP]</local-name>
          <parent-name>[sqlproxy]</parent-name>
        </metadata-record>
      </metadata-records>
    </connection>
    <column-instance column='[Country]' derivation='None' name='[none:Country:nk]' pivot='key' />
    <group name='[Exclusions (Country,YEAR(Date))]' name-style='unqualified'>
      <groupfilter function='crossjoin'>
        <groupfilter function='level-members' level='[none:Country:nk]' />
        <groupfilter function='level-members' level='[tyr:Date:qk]' />
      </groupfilter>
    </group>
  </datasource>
</datasources></workbook>
"""


def test_group_levels_resolve_column_instances_and_proxy_measures_are_columns() -> None:
    workbook = build_workbook(parse_xml(GROUPS_AND_PROXY, "w.twb"), source="w.twb", name="w")
    ds = workbook.datasources[0]
    assert ds.groups[0].references == ("Country", "Date")
    assert [(c.name, c.table) for c in ds.columns] == [("Country", "sqlproxy"), ("GDP", "sqlproxy")]
    assert [c.name for c in ds.calculations] == ["Ratio"]


SEVERAL_EXTRACTS = b"""<workbook version='18.1'><datasources>
  <datasource caption='Perf' name='federated.1'>
    <connection class='federated'>
      <named-connections>
        <named-connection name='hyper.a'>
          <connection class='hyper' dbname='Data/a.hyper'/>
        </named-connection>
        <named-connection name='hyper.b'>
          <connection class='hyper' dbname='Data/b.hyper'/>
        </named-connection>
      </named-connections>
    </connection>
  </datasource>
  <datasource caption='Legacy' name='federated.2'>
    <extract enabled='true'><connection class='dataengine' dbname='Data/legacy.tde'/></extract>
  </datasource>
  <datasource caption='Gone' name='federated.3'>
    <extract enabled='true'><connection class='hyper' dbname='Data/gone.hyper'/></extract>
  </datasource>
</datasources></workbook>
"""


def test_extract_diagnostics(tmp_path: Path) -> None:
    path = package_file(
        tmp_path,
        "perf.twbx",
        [
            ("perf.twb", SEVERAL_EXTRACTS),
            ("Data/b.hyper", HYPER_MAGIC + bytes(8)),
            ("Data/legacy.tde", TDE_MAGIC + bytes(8)),
        ],
    )
    workbook = load_file(path)
    perf = workbook.datasources[0].extract
    assert perf is not None
    assert (perf.dbname, perf.status) == ("Data/b.hyper", ExtractStatus.PACKAGED)
    assert [(d.code, d.place, d.message) for d in workbook.diagnostics] == [
        (
            "TA902",
            ("datasource:Perf",),
            "data source 'Perf' reads 2 extract files; only 'Data/b.hyper' is checked against "
            "its contents",
        ),
        (
            "TA902",
            ("datasource:Legacy",),
            "the extract of data source 'Legacy' is a legacy .tde file (Data/legacy.tde) that the "
            "Hyper API cannot open; only its XML description was checked",
        ),
        (
            "TA902",
            ("datasource:Gone",),
            "the extract file of data source 'Gone' is missing from the package",
        ),
    ]


def test_column_records_read_only_their_own_field_children() -> None:
    conn = parse_xml(
        b"""<connection class='postgres'><metadata-records>
  <metadata-record class='column'>
    <remote-name>a</remote-name><local-name>[A]</local-name><local-name>[A2]</local-name>
    <attributes><attribute name='x'><remote-name>nested</remote-name></attribute></attributes>
  </metadata-record>
  <metadata-record class='capability'><local-name>[Cap]</local-name></metadata-record>
  <metadata-record class='measure'><local-name>[M]</local-name><parent-name /></metadata-record>
</metadata-records><local-name>[Stray]</local-name></connection>""",
        "x",
    )
    # The last duplicate child wins, as in a dict of children; nested and stray names are not
    # fields of a record; an empty child reads as "".
    assert column_records(conn, frozenset({"column", "measure"})) == [
        {"line": "2", "remote-name": "a", "local-name": "[A2]"},
        {"line": "7", "local-name": "[M]", "parent-name": ""},
    ]


def test_a_column_with_two_calculations_uses_the_first() -> None:
    doc = f"""<datasource name='{DS}'>
      <column name='[C]' caption='C'><calculation class='tableau' formula='1' />
        <calculation class='tableau' formula='2' /></column>
      <column name='[D]' datatype='string' /></datasource>""".encode()
    (ds,) = build_workbook(parse_xml(doc, "x.tds"), source="x.tds", name="x").datasources
    assert [(c.name, c.formula) for c in ds.calculations] == [("C", "1")]
    assert [c.name for c in ds.columns] == ["D"]
