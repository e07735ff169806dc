"""Field references in calculation formulas (tableau-format.md §12)."""

from __future__ import annotations

import pytest

from tableau_audit.formula import FormulaRef, formula_references, read_bracketed


def refs(formula: str) -> list[tuple[str | None, str]]:
    return [(ref.datasource, ref.field) for ref in formula_references(formula)]


def test_plain_fields_in_order_without_duplicates() -> None:
    assert refs("[First Name] + ' ' + [Last Name] + [First Name]") == [
        (None, "First Name"),
        (None, "Last Name"),
    ]


def test_returns_formula_refs() -> None:
    assert formula_references("SUM([Sales])") == (FormulaRef(datasource=None, field="Sales"),)


@pytest.mark.parametrize(
    "formula",
    [
        "IF REGEXP_MATCH([Name], '[A-Za-z]+') THEN 1 END",
        'IF REGEXP_MATCH([Name], "[A-Za-z]+") THEN 1 END',
        "IF [Name] = 'it''s [A-Za-z]' THEN 1 END",
        'IF [Name] = "say ""[A-Za-z]""" THEN 1 END',
        "[Name] // + [A-Za-z] commented out",
        "// [A-Za-z] first line is a comment\n[Name]",
        "// [A-Za-z] CR line ending\r[Name]",
    ],
)
def test_string_literals_and_comments_are_not_references(formula: str) -> None:
    assert refs(formula) == [(None, "Name")]


def test_brackets_inside_a_name_are_not_strings_or_comments() -> None:
    assert refs("[Rate // 'pct'] * 2") == [(None, "Rate // 'pct'")]


def test_escaped_closing_bracket() -> None:
    assert refs("[a]]b] + [c]") == [(None, "a]b"), (None, "c")]


def test_qualified_references() -> None:
    formula = (
        "[federated.0hgpf0j1fdpvv316shikk0mmdlec].[Sales Target] / [Sales]"
        " * [Parameters].[Parameter 1]"
    )
    assert refs(formula) == [
        ("federated.0hgpf0j1fdpvv316shikk0mmdlec", "Sales Target"),
        (None, "Sales"),
        ("Parameters", "Parameter 1"),
    ]


def test_lod_expression() -> None:
    assert refs("{FIXED [Region], [Segment] : SUM([Sales])} / {SUM([Sales])}") == [
        (None, "Region"),
        (None, "Segment"),
        (None, "Sales"),
    ]


def test_count_of_table_pseudo_field_keeps_its_qualifier() -> None:
    assert refs("COUNT([__tableau_internal_object_id__].[IssueRecords_D98])") == [
        ("__tableau_internal_object_id__", "IssueRecords_D98")
    ]


def test_three_part_names_keep_the_first_two_parts() -> None:
    assert refs("[Customer].[City].[City]") == [("Customer", "City")]


def test_dot_without_bracket_is_not_a_qualifier() -> None:
    assert refs("[a].b + [c]") == [(None, "a"), (None, "c")]


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("[Sales", [(None, "Sales")]),
        ("'unterminated [x]", []),
        ("[a] // no newline [b]", [(None, "a")]),
        ("", []),
        ("1 / 2", []),
    ],
)
def test_malformed_input_never_raises(formula: str, expected: list[tuple[str | None, str]]) -> None:
    assert refs(formula) == expected


def test_read_bracketed_reports_the_end() -> None:
    assert read_bracketed("x[a]]b].[c]", 1) == ("a]b", 7)
    assert read_bracketed("[open", 0) == ("open", 5)
