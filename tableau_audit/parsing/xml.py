"""The one hardened XML parser every .twb/.tds goes through.

Tableau documents are UTF-8 XML without a DTD, so anything else is refused before libxml2
sees it: a ``<!DOCTYPE`` (the carrier of XXE and billion-laughs attacks) is a
:class:`ParseError`, entities are never resolved, nothing is loaded from the network or
the disk, and libxml2's size and depth limits stay on (``huge_tree=False``,
tableau-format.md §1).

Error reasons name the libxml2 error kind, line and column only: libxml2's own messages can
quote document content (tag names, bytes), and a reason must never echo content.

After parsing, the "feature-controlled persistence" prefixes are normalised (tableau-format.md
§2): ``_.fcp.<Feature>.true...X`` becomes ``X`` and ``_.fcp.<Feature>.false...X`` is dropped,
for element tags and attribute names alike.
"""

from __future__ import annotations

import logging
import re

from lxml import etree

from tableau_audit.errors import ParseError

__all__ = ["parse_xml"]

logger = logging.getLogger(__name__)

_FCP = re.compile(rb"_\.fcp\.")
"""Where a prefix starts. NOTE: the regex engine's search for this literal is faster than
``bytes in`` (which the document's many ``.``/``n``/``0`` bytes slow down)."""
# NOTE: the prefixes are rewritten in the bytes before parsing, because a Python (or XPath)
# walk over every element and attribute of a multi-megabyte workbook costs as much as the
# parse itself. XML names cannot contain quotes, spaces, '=', '/' or '>', and attribute values
# cannot contain their own delimiter, so these patterns match whole names and attributes.
_FCP_NAME = re.compile(
    rb"_\.fcp\.[A-Za-z0-9_-]+\."
    rb"(?:(?P<true>true)\.\.\."
    rb"""|false\.\.\.[^\s=/>]+(?P<attribute>\s*=\s*(?:"[^"]*"|'[^']*'))?)"""
)
_DROPPED = "fcp-dropped"
"""Tag given to ``.false...`` elements so they can be stripped in one C-level pass."""
_DROPPED_TAG = _DROPPED.encode()

# libxml2 error kinds mapped to a plain description that quotes nothing from the document.
_REASONS = {
    "ERR_INVALID_ENCODING": "content is not valid UTF-8",
    "ERR_INVALID_CHAR": "content holds a character that XML does not allow",
    "ERR_UNSUPPORTED_ENCODING": "the declared encoding is not supported",
    "ERR_DOCUMENT_EMPTY": "the XML document is empty",
    "ERR_DOCUMENT_END": "extra content after the XML root element",
    "ERR_TAG_NAME_MISMATCH": "opening and closing XML tags do not match",
    "ERR_TAG_NOT_FINISHED": "the XML ends before its elements are closed (truncated file?)",
    "ERR_UNDECLARED_ENTITY": "the XML uses an undeclared entity",
    "ERR_UNDEFINED_ENTITY": "the XML uses an undefined entity",
    "ERR_INTERNAL_ERROR": "the XML exceeds the parser's safety limits (too deep or too large)",
    "ERR_RESOURCE_LIMIT": "the XML exceeds the parser's safety limits (too deep or too large)",
}


_ERROR_NAMES = {
    int(getattr(etree.ErrorTypes, name)): name
    for name in _REASONS
    if hasattr(etree.ErrorTypes, name)
}


def _new_parser() -> etree.XMLParser:
    """The single hardened configuration. A fresh parser per document keeps error logs apart."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        # NOTE: indentation between elements is never read, and dropping it halves the nodes
        # every later walk and serialisation visits (texts of leaf elements are kept).
        remove_blank_text=True,
        # NOTE: no ``xml:id`` index: nothing looks elements up by id, and building it costs
        # ~3 % of the parse.
        collect_ids=False,
        # NOTE: Tableau always writes UTF-8; forcing it means a document cannot switch
        # libxml2 to another decoder with its XML declaration.
        encoding="utf-8",
    )


def parse_xml(data: bytes, artifact: str) -> etree._Element:
    """Parse a Tableau XML document with the hardened parser and normalise ``_.fcp.*`` names.

    Raises :class:`ParseError` naming ``artifact`` for a DTD, invalid UTF-8, malformed XML or
    anything over libxml2's limits. The reason never quotes document content.
    """
    if _has_doctype(data):
        raise ParseError(
            artifact, "the XML declares a document type (DTD); Tableau files never do, refused"
        )
    has_fcp = _FCP.search(data) is not None
    if has_fcp:
        data = _rewrite_fcp(data)
    try:
        root = etree.fromstring(data, _new_parser())
    except etree.XMLSyntaxError as exc:
        raise ParseError(artifact, _syntax_reason(exc)) from None
    if root is None:  # lxml returns None for some empty inputs instead of raising
        raise ParseError(artifact, "the XML document is empty")
    if root.getroottree().docinfo.internalDTD is not None:
        raise ParseError(
            artifact, "the XML declares a document type (DTD); Tableau files never do, refused"
        )
    if has_fcp:
        etree.strip_elements(root, _DROPPED, with_tail=False)
    return root


def _has_doctype(data: bytes) -> bool:
    """True when the prolog (before the root element) holds a ``<!DOCTYPE``.

    A plain scan, not a regex: it is linear whatever the input and stops at the root tag.
    """
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = len(data)
    while pos < end:
        byte = data[pos : pos + 1]
        if byte in b" \t\r\n":
            pos += 1
        elif data.startswith(b"<?", pos):
            close = data.find(b"?>", pos + 2)
            if close < 0:
                return False
            pos = close + 2
        elif data.startswith(b"<!--", pos):
            close = data.find(b"-->", pos + 4)
            if close < 0:
                return False
            pos = close + 3
        else:
            return data.startswith(b"<!DOCTYPE", pos)
    return False


def _syntax_reason(exc: etree.XMLSyntaxError) -> str:
    """Describe a libxml2 error by its kind and position only.

    NOTE: ``exc.error_log`` can carry errors of earlier documents, so only the exception's own
    code and position are used.
    """
    code = int(getattr(exc, "code", 0))
    text = _REASONS.get(_ERROR_NAMES.get(code, ""), f"not well-formed XML (libxml2 error {code})")
    line, column = exc.position
    return f"{text} (line {line}, column {column})"


def _rewrite_fcp(data: bytes) -> bytes:
    """One pass: strip ``.true...`` prefixes, drop ``.false...`` attributes (keeping their
    newlines so ``sourceline`` stays exact) and rename ``.false...`` elements for removal."""
    return _FCP_NAME.sub(_replace_fcp, data)


def _replace_fcp(match: re.Match[bytes]) -> bytes:
    if match.group("true"):
        return b""
    if match.group("attribute") is not None:
        return b"\n" * match.group(0).count(b"\n")
    return _DROPPED_TAG
