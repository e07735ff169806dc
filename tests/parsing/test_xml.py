"""The hardened XML parser: DTDs refused, UTF-8 only, ``_.fcp.*`` names normalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.parsing.names import line_of
from tableau_audit.parsing.xml import parse_xml

FCP_DOC = b"""<?xml version='1.0' encoding='utf-8' ?>
<!-- build 20211.21.0511.0935 -->
<datasource inline='true' version='18.1'
    _.fcp.WorkbookFingerprinting.true...author-id='abc'
    _.fcp.SetMembershipControl.false...type='old'>
  <connection class='federated'>
    <_.fcp.ObjectModelEncapsulateLegacy.false...relation name='Old' table='[Old]' type='table'>
      <columns><column name='stale'/></columns>
    </_.fcp.ObjectModelEncapsulateLegacy.false...relation>
    <_.fcp.ObjectModelEncapsulateLegacy.true...relation name='New' table='[New]' type='table'/>
  </connection>
  <column name='[A]' _.fcp.ObjectModelTableType.true...object-id='[New_1]'/>
  <_.fcp.ObjectModelEncapsulateLegacy.true...object-graph>
    <objects/>
  </_.fcp.ObjectModelEncapsulateLegacy.true...object-graph>
</datasource>
"""


def test_fcp_true_names_are_renamed_and_false_names_dropped() -> None:
    root = parse_xml(FCP_DOC, "doc.tds")
    assert dict(root.items()) == {"inline": "true", "version": "18.1", "author-id": "abc"}
    connection = root.find("connection")
    assert connection is not None
    assert [(rel.tag, rel.get("name")) for rel in connection] == [("relation", "New")]
    column = root.find("column")
    assert column is not None
    assert dict(column.items()) == {"name": "[A]", "object-id": "[New_1]"}
    assert [child.tag for child in root] == ["connection", "column", "object-graph"]
    assert not any(el.tag.startswith("_.fcp") for el in root.iter())


def test_source_lines_survive_fcp_normalisation() -> None:
    root = parse_xml(FCP_DOC, "doc.tds")
    graph = root.find("object-graph")
    column = root.find("column")
    assert graph is not None
    assert column is not None
    assert (line_of(column), line_of(graph)) == (12, 13)


def test_plain_document_parses_and_comments_are_dropped() -> None:
    root = parse_xml(b"\xef\xbb\xbf<workbook version='18.1'><!-- note --><a/></workbook>", "x")
    assert root.tag == "workbook"
    assert [child.tag for child in root] == ["a"]


SECRET = "TOP-SECRET-CONTENT-7f3a"


def test_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text(SECRET)
    doc = (
        f'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY x SYSTEM "file://{target}">]>'
        "<workbook>&x;</workbook>"
    ).encode()
    with pytest.raises(ParseError) as info:
        parse_xml(doc, "xxe.twb")
    assert "document type (DTD)" in info.value.reason
    assert SECRET not in str(info.value)


def test_billion_laughs_is_refused() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doc = f'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY l0 "lol">{entities}]><w>&l9;</w>'
    with pytest.raises(ParseError, match="document type"):
        parse_xml(doc.encode(), "lol.twb")


def test_doctype_after_comments_and_processing_instructions_is_refused() -> None:
    doc = b"<?xml version='1.0'?>\n<!-- c -->\n<?pi x?>\n<!DOCTYPE workbook><workbook/>"
    with pytest.raises(ParseError, match="document type"):
        parse_xml(doc, "x.twb")


def test_invalid_utf8_is_a_clear_error() -> None:
    with pytest.raises(ParseError) as info:
        parse_xml(b"<workbook name='caf\xe9 \xff'/>", "bad.twb")
    assert info.value.reason.startswith("content is not valid UTF-8 (line 1")
    assert "caf" not in info.value.reason


def test_declared_legacy_encoding_does_not_switch_decoder() -> None:
    doc = b"<?xml version='1.0' encoding='iso-8859-1'?><workbook name='caf\xe9'/>"
    with pytest.raises(ParseError, match="not valid UTF-8"):
        parse_xml(doc, "latin1.twb")


def test_malformed_xml_reason_names_position_not_content() -> None:
    with pytest.raises(ParseError) as info:
        parse_xml(b"<workbook>\n<password-hunter2></oops></workbook>", "bad.twb")
    assert info.value.reason == "opening and closing XML tags do not match (line 2, column 26)"
    assert info.value.artifact == "bad.twb"


def test_truncated_xml() -> None:
    with pytest.raises(ParseError, match=r"ends before its elements are closed"):
        parse_xml(b"<workbook><datasources><datasource name='a'>", "cut.twb")


@pytest.mark.parametrize(
    "doc",
    [
        b"<workbook>" + b"<a>" * 300 + b"</a>" * 300 + b"</workbook>",
        b"<workbook a='" + b"x" * (11 * 1024 * 1024) + b"'/>",
    ],
    ids=["too-deep", "huge-attribute"],
)
def test_libxml2_safety_limits_stay_on(doc: bytes) -> None:
    with pytest.raises(ParseError, match="exceeds the parser's safety limits"):
        parse_xml(doc, "big.twb")


def test_undeclared_entity() -> None:
    with pytest.raises(ParseError, match=r"undeclared entity \(line 1, column 16\)"):
        parse_xml(b"<workbook>&foo;</workbook>", "x.twb")


def test_blank_text_between_elements_is_dropped_and_real_text_kept() -> None:
    # Indentation is never read; texts of leaf elements and of mixed content are.
    doc = b"""<workbook>
  <relation type='text'>  </relation>
  <relation type='text'>SELECT 1</relation>
  <formatted-text><run>Sales </run><run> </run></formatted-text>
  <p>x <b/> <i/></p>
</workbook>"""
    root = parse_xml(doc, "x")
    blank, sql, text, mixed = root
    assert (root.text, blank.tail) == (None, None)
    assert (blank.text, sql.text) == ("  ", "SELECT 1")
    assert [run.text for run in text] == ["Sales ", " "]
    assert (mixed.text, mixed[0].tail) == ("x ", " ")
    assert (line_of(sql), line_of(mixed)) == (3, 5)
