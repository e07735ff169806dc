"""Recognise what a file is from its first bytes, never from its extension.

A ZIP saved as ``.twb`` is a package (tableau-format.md §1), a ``.hyper`` is known by its
``Hyper`` magic, a ``.tde`` by its own magic, and files that are not Tableau content at all
(a Git LFS pointer committed instead of the real file, a zero-byte placeholder, a PDF) get a
specific reason instead of a confusing XML syntax error.
"""

from __future__ import annotations

import enum

from tableau_audit.model import ExtractFormat

__all__ = ["HEAD_SIZE", "FileFormat", "extract_format", "sniff", "unknown_reason"]

HEAD_SIZE = 64
"""How many leading bytes :func:`sniff` needs."""

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
HYPER_MAGIC = b"Hyper"
TDE_MAGIC = b"\x20\x02\x01\x62\xa0\x1e\xab\x07"
LFS_MAGIC = b"version https://git-lfs"
_UTF8_BOM = b"\xef\xbb\xbf"


class FileFormat(str, enum.Enum):
    """What the content of a file is."""

    XML = "xml"
    PACKAGE = "package"
    HYPER = "hyper"
    TDE = "tde"
    EMPTY = "empty"
    LFS_POINTER = "lfs-pointer"
    UNKNOWN = "unknown"


def sniff(head: bytes) -> FileFormat:
    """Classify content from its first :data:`HEAD_SIZE` bytes (or all of it if shorter)."""
    if not head:
        return FileFormat.EMPTY
    if head.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return FileFormat.PACKAGE
    if head.startswith(HYPER_MAGIC):
        return FileFormat.HYPER
    if head.startswith(TDE_MAGIC):
        return FileFormat.TDE
    if head.startswith(LFS_MAGIC):
        return FileFormat.LFS_POINTER
    if head.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n").startswith(b"<"):
        return FileFormat.XML
    return FileFormat.UNKNOWN


def extract_format(head: bytes) -> ExtractFormat:
    """Format of an extract member from its first bytes (``EMPTY`` for a zero-byte file)."""
    if not head:
        return ExtractFormat.EMPTY
    if head.startswith(HYPER_MAGIC):
        return ExtractFormat.HYPER
    if head.startswith(TDE_MAGIC):
        return ExtractFormat.TDE
    return ExtractFormat.UNKNOWN


def unknown_reason(head: bytes) -> str:
    """A specific reason for content that is neither XML, a package nor an extract."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "the file is UTF-16 text; Tableau documents are UTF-8 XML"
    if head.startswith(b"%PDF"):
        return "the file is a PDF document, not a Tableau file"
    if head.startswith(b"\x89PNG") or head.startswith(b"\xff\xd8\xff"):
        return "the file is an image, not a Tableau file"
    if head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"7z\xbc\xaf")):
        return "the file is a compressed archive that is not a ZIP package"
    return "unrecognised content: not Tableau XML, a ZIP package, a .hyper or a .tde file"
