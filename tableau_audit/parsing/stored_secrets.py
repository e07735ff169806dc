"""Secrets stored in connection attributes and custom SQL, recorded in masked form only.

Every attribute of every ``connection`` element (data-source leaves, federated and extract
connections, ``mapsources``) goes through the classifier's attribute-aware scanner, and custom
SQL through its text scanner (tableau-format.md §14). Only the kind, the place and the masked
form are kept: the value itself never leaves this module.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from tableau_audit.classify.secrets import scan_attribute, scan_text
from tableau_audit.model import Relation, StoredSecret
from tableau_audit.parsing.names import line_of

__all__ = ["scan_connection", "scan_custom_sql"]


def scan_connection(element: etree._Element, place: tuple[str, ...]) -> Iterator[StoredSecret]:
    """Secrets in the attributes of one ``connection`` element."""
    label = element.get("class") or element.get("name") or "connection"
    where = (*place, f"connection:{label}")
    for attribute, value in element.items():
        if not value or not isinstance(attribute, str) or not isinstance(value, str):
            continue
        for match in scan_attribute(attribute, value):
            yield StoredSecret(
                kind=match.kind,
                place=where,
                attribute=attribute,
                masked=match.masked,
                line=line_of(element),
            )


def scan_custom_sql(relation: Relation, place: tuple[str, ...]) -> Iterator[StoredSecret]:
    """Secrets written into a custom SQL query."""
    if not relation.custom_sql:
        return
    where = (*place, f"relation:{relation.name}")
    for match in scan_text(relation.custom_sql):
        yield StoredSecret(
            kind=match.kind,
            place=where,
            attribute="custom-sql",
            masked=match.masked,
            line=relation.line,
        )
