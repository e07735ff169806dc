"""Package (.twbx/.tdsx) reading: member roles, name repair, lookups and caps."""

from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.model import ExtractFormat, PackagedFile, PackagedFileKind
from tableau_audit.parsing.detect import HYPER_MAGIC, TDE_MAGIC
from tableau_audit.parsing.package import Package, PackageLimits

TWB = b"<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'/>"
HYPER = HYPER_MAGIC + b"\x08\x00\x00\x00" + bytes(100)
TDE = TDE_MAGIC + bytes(100)


def make_zip(members: list[tuple[str, bytes]], *, utf8_flag: bool = True) -> bytes:
    """A ZIP holding ``members`` in order. ``utf8_flag=False`` clears the UTF-8 name flag."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    raw = buffer.getvalue()
    return raw if utf8_flag else _clear_utf8_flags(raw)


def _clear_utf8_flags(raw: bytes) -> bytes:
    """Clear bit 0x800 in every local and central header: UTF-8 names then read as cp437."""
    data = bytearray(raw)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (index := data.find(signature, start)) >= 0:
            (flags,) = struct.unpack_from("<H", data, index + offset)
            struct.pack_into("<H", data, index + offset, flags & ~0x800)
            start = index + 4
    return bytes(data)


def open_package(raw: bytes, limits: PackageLimits | None = None) -> Package:
    return Package(io.BytesIO(raw), "book.twbx", limits)


def test_members_are_classified_by_role_and_magic() -> None:
    raw = make_zip(
        [
            ("Book.twb", TWB),
            ("Data/Extracts/a.hyper", HYPER),
            ("Data/Extracts/legacy.tde", TDE),
            ("Data/TableauTemp/empty.hyper", b""),
            ("Data/Extracts/no-extension", HYPER),
            ("Data/Extracts/fake.hyper", b"not really"),
            ("Data/Desktop/people.csv", b"name\nAda\n"),
            ("Data/Desktop/people.XLSX", b"PK..."),
            ("TwbxExternalCache/TwbxResultsCacheV3/1/.bin", b"cache"),
            ("ExternalCacheV1/AbstractQueryCacheV1/2/.key", b"<pack/>"),
            ("Image/logo.png", b"\x89PNG"),
            ("Image/whatever", b"x"),
            ("notes.md", b"hello"),
            ("__MACOSX/._Book.twb", b"\x00\x05\x16\x07"),
        ]
    )
    package = open_package(raw)
    kinds = {m.path: (m.kind, m.extract_format) for m in package.members}
    assert kinds == {
        "Book.twb": (PackagedFileKind.DOCUMENT, None),
        "Data/Extracts/a.hyper": (PackagedFileKind.EXTRACT, ExtractFormat.HYPER),
        "Data/Extracts/legacy.tde": (PackagedFileKind.EXTRACT, ExtractFormat.TDE),
        "Data/TableauTemp/empty.hyper": (PackagedFileKind.EXTRACT, ExtractFormat.EMPTY),
        "Data/Extracts/no-extension": (PackagedFileKind.EXTRACT, ExtractFormat.HYPER),
        "Data/Extracts/fake.hyper": (PackagedFileKind.EXTRACT, ExtractFormat.UNKNOWN),
        "Data/Desktop/people.csv": (PackagedFileKind.RAW_DATA, None),
        "Data/Desktop/people.XLSX": (PackagedFileKind.RAW_DATA, None),
        "TwbxExternalCache/TwbxResultsCacheV3/1/.bin": (PackagedFileKind.QUERY_CACHE, None),
        "ExternalCacheV1/AbstractQueryCacheV1/2/.key": (PackagedFileKind.QUERY_CACHE, None),
        "Image/logo.png": (PackagedFileKind.IMAGE, None),
        "Image/whatever": (PackagedFileKind.IMAGE, None),
        "notes.md": (PackagedFileKind.OTHER, None),
        "__MACOSX/._Book.twb": (PackagedFileKind.OTHER, None),
    }
    assert package.document == PackagedFile(
        path="Book.twb", size=len(TWB), kind=PackagedFileKind.DOCUMENT
    )
    assert package.read_document() == TWB


def test_document_is_the_twb_or_tds_with_fewest_slashes() -> None:
    raw = make_zip(
        [
            ("Data/geocoding/custom.tds", b"<datasource/>"),
            ("__MACOSX/._Book.twb", b"apple double"),
            ("Book.twb", TWB),
            ("Extra.tds", b"<datasource/>"),
        ]
    )
    assert open_package(raw).document_path == "Book.twb"
    tdsx = make_zip([("Data/x/inner.tds", b"<datasource/>"), ("Source.tds", b"<datasource/>")])
    assert open_package(tdsx).document_path == "Source.tds"


def test_package_without_document_is_refused() -> None:
    raw = make_zip([("__MACOSX/._Book.twb", b"x"), ("Data/a.csv", b"a")])
    with pytest.raises(ParseError, match=re.escape("holds no .twb or .tds document")):
        open_package(raw)


def test_cp437_names_are_repaired_and_resolved() -> None:
    name = "Data/データ ソース/extract.hyper"
    raw = make_zip([("Book.twb", TWB), (name, HYPER)], utf8_flag=False)
    assert zipfile.ZipFile(io.BytesIO(raw)).namelist()[1] != name  # really stored as cp437
    package = open_package(raw)
    assert [m.path for m in package.members] == ["Book.twb", name]
    member = package.resolve(name)
    assert member is not None
    assert member.path == name
    assert package.read(member.path) == HYPER


def test_resolve_exact_then_base_name_only_when_unambiguous() -> None:
    raw = make_zip(
        [
            ("Book.twb", TWB),
            ("Data/Extracts/a.hyper", HYPER),
            ("Data/One/dup.hyper", HYPER),
            ("Data/Two/dup.hyper", HYPER),
        ]
    )
    package = open_package(raw)

    def path_of(dbname: str) -> str | None:
        member = package.resolve(dbname)
        return member.path if member is not None else None

    assert path_of("Data/Extracts/a.hyper") == "Data/Extracts/a.hyper"
    assert path_of("Data\\Extracts\\a.hyper") == "Data/Extracts/a.hyper"
    assert path_of("C:/Users/me/AppData/Local/Temp/a.hyper") == "Data/Extracts/a.hyper"
    assert path_of("/tmp/dup.hyper") is None
    assert path_of("Data/Extracts/missing.hyper") is None


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_member_names_are_a_diagnostic() -> None:
    raw = make_zip([("Book.twb", b"<workbook/>"), ("Book.twb", TWB)])
    package = open_package(raw)
    assert package.read_document() == TWB
    assert [(d.code, d.place) for d in package.diagnostics] == [("TA902", ("member:Book.twb",))]


@pytest.mark.parametrize(
    "name",
    ["../evil.twb", "Data/../../evil.csv", "/etc/passwd", "C:/Windows/x.dll", "Data\\..\\..\\x"],
)
def test_names_escaping_the_root_are_refused(name: str) -> None:
    raw = make_zip([("Book.twb", TWB), (name, b"x")])
    with pytest.raises(ParseError, match="escape the package root"):
        open_package(raw)


def test_member_count_cap() -> None:
    raw = make_zip([("Book.twb", TWB)] + [(f"Image/{i}.png", b"x") for i in range(5)])
    with pytest.raises(ParseError, match="declares 6 members, over the limit of 5"):
        open_package(raw, PackageLimits(max_members=5))


def test_declared_size_caps() -> None:
    raw = make_zip([("Book.twb", TWB), ("Data/big.csv", b"a,b\n" * 4000)])
    with pytest.raises(ParseError, match=re.escape("'Data/big.csv' is too large to audit")):
        open_package(raw, PackageLimits(max_member_size=10_000))
    with pytest.raises(ParseError, match="total uncompressed size is over the limit"):
        open_package(raw, PackageLimits(max_total_size=10_000))


def test_compression_ratio_guard() -> None:
    raw = make_zip([("Book.twb", TWB), ("Data/zeros.csv", bytes(200_000))])
    with pytest.raises(ParseError, match=r"'Data/zeros.csv' looks like a zip bomb \(compression"):
        open_package(raw, PackageLimits(ratio_floor=1000))


def test_document_read_cap() -> None:
    raw = make_zip([("Book.twb", TWB + b" " * 5000)])
    with pytest.raises(ParseError, match=re.escape("'Book.twb' is too large to read")):
        open_package(raw, PackageLimits(max_document_size=1000)).read_document()


def test_member_lying_about_its_size_is_not_trusted() -> None:
    body = b"<workbook>" + b"x" * 10_000 + b"</workbook>"
    raw = bytearray(make_zip([("Book.twb", body)]))
    # Declare 100 bytes in both headers: the reader must stop there and notice the lie.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        index = raw.find(signature)
        struct.pack_into("<I", raw, index + offset, 100)
    package = open_package(bytes(raw))
    with pytest.raises(ParseError, match=re.escape("'Book.twb' is corrupt")):
        package.read_document()


def test_truncated_and_garbage_zips_are_refused() -> None:
    raw = make_zip([("Book.twb", TWB), ("Data/a.csv", b"a" * 1000)])
    with pytest.raises(ParseError, match="not a readable ZIP package"):
        open_package(raw[: len(raw) // 2])
    with pytest.raises(ParseError, match="not a readable ZIP package"):
        open_package(b"PK\x03\x04" + b"\x00" * 100)
