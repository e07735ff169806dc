"""Member reads (``inflate.chunks``): the same bytes and the same refusals as zipfile."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.parsing.inflate import COPY_CHUNK, chunks
from tableau_audit.parsing.package import Package, PackageLimits

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "files"

MEMBERS = [
    ("Book.twb", b"<workbook>" + b"<column name='[x]'/>" * 5000 + b"</workbook>"),
    ("Data/empty.csv", b""),
    ("Data/Extracts/na\u00efve \u65e5\u672c.hyper", os.urandom(70_000)),  # incompressible
    ("Image/one-byte.png", b"\x89"),
]


def read_whole(fileobj: BinaryIO, info: zipfile.ZipInfo) -> bytes:
    """A whole-member read, as ``Package.read`` makes it (one piece one byte over the size)."""
    return b"".join(chunks(fileobj, info, size=info.file_size + 1))


def make_zip(method: int, members: list[tuple[str, bytes]] = MEMBERS) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def read_all(raw: bytes) -> dict[str, bytes]:
    handle = io.BytesIO(raw)
    with zipfile.ZipFile(handle) as archive:
        return {info.filename: read_whole(handle, info) for info in archive.infolist()}


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_reads_what_zipfile_reads(method: int) -> None:
    raw = make_zip(method)
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        expected = {info.filename: archive.read(info) for info in archive.infolist()}
    assert read_all(raw) == expected == dict(MEMBERS)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("size", [1, 999, 65_536])
def test_chunks_are_the_same_bytes_in_bounded_pieces(method: int, size: int) -> None:
    raw = make_zip(method)
    handle = io.BytesIO(raw)
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            pieces = list(chunks(handle, info, size=size))
            assert all(0 < len(piece) <= size for piece in pieces), info.filename
            assert b"".join(pieces) == dict(MEMBERS)[info.filename]


def test_a_large_member_is_streamed_from_the_package() -> None:
    data = b"<row id='1' name='x'/>" * 1_000_000  # 22 MB: several copy chunks
    raw = make_zip(zipfile.ZIP_DEFLATED, [("Book.twb", b"<workbook/>"), ("Data/x.hyper", data)])
    package = Package(io.BytesIO(raw), "book.twbx", PackageLimits(max_ratio=10_000))
    pieces: list[bytes] = []
    package.member("Data/x.hyper").copy_to(pieces.append)
    sizes = [len(piece) for piece in pieces]
    assert len(sizes) > 1
    assert max(sizes) <= COPY_CHUNK
    assert sum(sizes) == len(data)


def test_names_without_the_utf8_flag_are_matched_as_cp437() -> None:
    # zipfile writes a non-ASCII name with the UTF-8 flag; clear it in both headers.
    raw = bytearray(make_zip(zipfile.ZIP_DEFLATED, [("na\u00efve.twb", b"<workbook/>")]))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        index = raw.find(signature)
        (flags,) = struct.unpack_from("<H", raw, index + offset)
        struct.pack_into("<H", raw, index + offset, flags & ~0x800)
    assert list(read_all(bytes(raw)).values()) == [b"<workbook/>"]


def _one_member(data: bytes = b"<workbook>" + b"y" * 5000 + b"</workbook>") -> bytearray:
    return bytearray(make_zip(zipfile.ZIP_DEFLATED, [("Book.twb", data)]))


def _declare(raw: bytearray, *, size: int | None = None, crc: int | None = None) -> None:
    """Rewrite the size and/or CRC-32 in both headers (the central one is what readers trust)."""
    for signature, crc_at, size_at in ((b"PK\x03\x04", 14, 22), (b"PK\x01\x02", 16, 24)):
        index = raw.find(signature)
        if size is not None:
            struct.pack_into("<I", raw, index + size_at, size)
        if crc is not None:
            struct.pack_into("<I", raw, index + crc_at, crc)


@pytest.mark.parametrize(
    "change",
    [
        lambda raw: _declare(raw, size=100),  # inflates beyond its declared size
        lambda raw: _declare(raw, crc=12345),
        lambda raw: raw.__setitem__(slice(30, 38), b"Evil.twb"),  # local name differs
        lambda raw: raw.__setitem__(slice(0, 4), b"PK\x05\x06"),  # not a local header
    ],
    ids=["size-too-small", "crc", "local-name", "signature"],
)
def test_refuses_what_zipfile_refuses(change: Callable[[bytearray], None]) -> None:
    raw = _one_member()
    change(raw)
    with pytest.raises(zipfile.BadZipFile):
        read_all(bytes(raw))
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive, pytest.raises(zipfile.BadZipFile):
        archive.read("Book.twb")


def test_a_lie_found_half_way_through_a_stream_raises_after_some_pieces() -> None:
    raw = _one_member(b"<workbook>" + b"z" * 50_000 + b"</workbook>")
    _declare(raw, size=20_000)
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.infolist()[0]
    pieces: list[bytes] = []
    with pytest.raises(zipfile.BadZipFile):
        pieces.extend(chunks(io.BytesIO(bytes(raw)), info, size=4096))
    assert pieces  # the consumer got pieces first: it must discard them (HyperSession does)
    assert sum(map(len, pieces)) <= 20_000 + 4096


def test_a_member_shorter_than_declared_is_refused() -> None:
    # NOTE: stricter than zipfile, which returns the short data when the CRC still matches:
    # a directory that lies about a size is a corrupt package either way.
    raw = _one_member()
    _declare(raw, size=100_000)
    with pytest.raises(EOFError):
        read_all(bytes(raw))


def test_a_corrupt_stream_is_a_bad_zip_file() -> None:
    raw = _one_member(zlib.compress(os.urandom(4000)) * 3)
    raw[30 + 8 : 30 + 40] = bytes(range(32))  # garbage at the start of the DEFLATE stream
    with pytest.raises((zipfile.BadZipFile, EOFError)):
        read_all(bytes(raw))


def test_a_truncated_member_is_short() -> None:
    raw = _one_member(os.urandom(5000))
    central = raw.find(b"PK\x01\x02")
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.infolist()[0]
    cut = io.BytesIO(bytes(raw[: central - 100]))  # the stream's last 100 bytes are gone
    with pytest.raises(EOFError):
        read_whole(cut, info)


def test_patched_data_is_not_implemented_like_zipfile() -> None:
    raw = _one_member()
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
        info = archive.infolist()[0]
    info.flag_bits |= 0x20
    with pytest.raises(NotImplementedError):
        read_whole(io.BytesIO(bytes(raw)), info)


def test_other_methods_are_read_and_streamed_by_the_package_through_zipfile() -> None:
    raw = make_zip(zipfile.ZIP_LZMA)
    package = Package(io.BytesIO(raw), "book.twbx")
    for name, data in MEMBERS:
        assert package.read(name) == data
        pieces: list[bytes] = []
        package.copy_to(name, pieces.append)
        assert b"".join(pieces) == data


def test_a_failing_write_goes_through_and_frees_the_package() -> None:
    package = Package(io.BytesIO(make_zip(zipfile.ZIP_DEFLATED)), "book.twbx")

    def full_disk(piece: bytes) -> None:
        raise RuntimeError("no space left")

    with pytest.raises(RuntimeError, match="no space left"):
        package.copy_to("Book.twb", full_disk)
    assert package.read("Book.twb") == dict(MEMBERS)["Book.twb"]  # the lock was released


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA])
def test_a_disk_error_while_copying_is_not_a_corrupt_member(method: int) -> None:
    package = Package(io.BytesIO(make_zip(method)), "book.twbx")

    def full_disk(piece: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left") as raised:
        package.copy_to("Book.twb", full_disk)
    assert not isinstance(raised.value, ParseError)


@pytest.mark.slow
def test_every_corpus_member_reads_as_zipfile_reads_it() -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    packages = [p for p in sorted(CORPUS.iterdir()) if p.suffix.lower() in (".twbx", ".tdsx")]
    members = 0
    for path in packages:
        with path.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                expected = archive.read(info)
                assert read_whole(handle, info) == expected, f"{path.name}: {info.filename}"
                streamed = b"".join(chunks(handle, info, size=1 << 16))
                assert streamed == expected, f"{path.name}: {info.filename}"
                members += 1
    assert len(packages) >= 50, len(packages)
    assert members >= 300, members
