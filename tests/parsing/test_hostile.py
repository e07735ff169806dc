"""Hostile and broken inputs: each is refused with a specific reason, fast and in bounded memory.

Issue 2 acceptance: XXE pointing at a local file (its content must not appear anywhere), billion
laughs, a zip bomb, ``../`` member names, a truncated zip, non-UTF-8 bytes, a 0-byte file and a
Git LFS pointer each give a ParseError (TA901), and a valid ZIP saved as ``.twb`` is parsed.
"""

from __future__ import annotations

import io
import logging
import time
import tracemalloc
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tableau_audit.errors import ParseError
from tableau_audit.model import ArtifactKind, PackagedFileKind
from tableau_audit.parsing import load_file
from tableau_audit.parsing.detect import TDE_MAGIC
from tableau_audit.parsing.package import PackageLimits

SECRET = "CONFIDENTIAL-7c1e9b"
TWB = b"<?xml version='1.0' encoding='utf-8' ?><workbook version='18.1'><datasources/></workbook>"
TIME_LIMIT = 5.0
MEMORY_LIMIT = 64 * 1024 * 1024


def refuse(path: Path, caplog: pytest.LogCaptureFixture) -> ParseError:
    """Load ``path`` expecting a ParseError, within the time and memory limits."""
    caplog.set_level(logging.DEBUG)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ParseError) as info:
            load_file(path)
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < TIME_LIMIT
    assert peak < MEMORY_LIMIT
    assert info.value.artifact == str(path)
    return info.value


def write_zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_xxe_is_refused_and_the_target_never_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "secret.txt"
    target.write_text(SECRET)
    doc = tmp_path / "xxe.twb"
    doc.write_text(
        f'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY x SYSTEM "file://{target}">]>'
        '<workbook><datasources><datasource name="&x;" caption="&x;"/></datasources></workbook>'
    )
    error = refuse(doc, caplog)
    assert error.reason == "the XML declares a document type (DTD); Tableau files never do, refused"
    assert SECRET not in str(error)
    assert SECRET not in caplog.text


def test_xxe_inside_a_package(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    target = tmp_path / "secret.txt"
    target.write_text(SECRET)
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY x SYSTEM "file://{target}">]>'
        "<workbook>&x;</workbook>"
    ).encode()
    error = refuse(write_zip(tmp_path / "xxe.twbx", [("Book.twb", xxe)]), caplog)
    assert error.reason.startswith("Book.twb: the XML declares a document type (DTD)")
    assert SECRET not in str(error)


def test_billion_laughs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    doc = tmp_path / "laughs.twb"
    doc.write_text(f'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY l0 "lol">{entities}]>'
                   "<workbook>&l9;</workbook>")  # fmt: skip
    assert "document type (DTD)" in refuse(doc, caplog).reason


def _zeros(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(chunk)
    for _ in range(total // chunk):
        yield block


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A .twbx with a 1 GiB member of zeros that compresses to about 1 MB (streamed)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.twbx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("Book.twb", TWB)
        info = zipfile.ZipInfo("Data/Extracts/bomb.hyper")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as member:
            for block in _zeros(1 << 30):
                member.write(block)
    assert path.stat().st_size < 8 * 1024 * 1024
    return path


@pytest.mark.slow
def test_zip_bomb(zip_bomb: Path, caplog: pytest.LogCaptureFixture) -> None:
    error = refuse(zip_bomb, caplog)
    assert error.reason.startswith(
        "package member 'Data/Extracts/bomb.hyper' looks like a zip bomb"
    )


def test_parent_directory_member_names(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = write_zip(tmp_path / "evil.twbx", [("Book.twb", TWB), ("../../etc/cron.d/x", b"x")])
    error = refuse(path, caplog)
    assert error.reason == (
        "1 package member name(s) escape the package root (absolute or '..' paths), "
        "e.g. '../../etc/cron.d/x'; refused"
    )


def test_truncated_zip(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    whole = write_zip(tmp_path / "whole.twbx", [("Book.twb", TWB * 50), ("Data/a.csv", b"x" * 999)])
    cut = tmp_path / "cut.twbx"
    cut.write_bytes(whole.read_bytes()[:-60])
    assert refuse(cut, caplog).reason.startswith("not a readable ZIP package: truncated or corrupt")


def test_non_utf8_bytes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = tmp_path / "latin1.twb"
    doc.write_bytes(b"<?xml version='1.0'?>\n<workbook><datasource caption='Caf\xe9'/></workbook>")
    assert refuse(doc, caplog).reason == "content is not valid UTF-8 (line 2, column 35)"


def test_zero_byte_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = tmp_path / "empty.twbx"
    doc.write_bytes(b"")
    assert refuse(doc, caplog).reason == "the file is empty (0 bytes)"


def test_git_lfs_pointer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = tmp_path / "book.twbx"
    doc.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 12345\n"
    )
    assert refuse(doc, caplog).reason.startswith("the file is a Git LFS pointer")


def test_standalone_tde(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    doc = tmp_path / "extract.hyper"  # the name lies: the content is TDE
    doc.write_bytes(TDE_MAGIC + bytes(100))
    assert refuse(doc, caplog).reason.startswith("the file is a legacy .tde extract")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7 ...", "the file is a PDF document, not a Tableau file"),
        (b"\xff\xfe<\x00w\x00", "the file is UTF-16 text; Tableau documents are UTF-8 XML"),
        (b"\x00\x01binary", "unrecognised content: not Tableau XML, a ZIP package, a .hyper "
                             "or a .tde file"),
        (b"<html><body/></html>", "the XML root element is <html>, not <workbook> or <datasource>"),
    ],
)  # fmt: skip
def test_other_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes, reason: str
) -> None:
    doc = tmp_path / "book.twb"
    doc.write_bytes(content)
    assert refuse(doc, caplog).reason == reason


def test_zip_saved_as_twb_is_a_package(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "Superstore.twb", [("Superstore.twb", TWB), ("Data/s.csv", b"a")])
    workbook = load_file(path)
    assert workbook.kind is ArtifactKind.WORKBOOK
    assert workbook.is_packaged
    assert [(m.path, m.kind) for m in workbook.package] == [
        ("Data/s.csv", PackagedFileKind.RAW_DATA),
        ("Superstore.twb", PackagedFileKind.DOCUMENT),
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"cannot read the file \(No such file or directory\)"):
        load_file(tmp_path / "nope.twb")


def test_display_name_is_the_artifact(tmp_path: Path) -> None:
    doc = tmp_path / "x.twb"
    doc.write_bytes(b"")
    with pytest.raises(ParseError) as info:
        load_file(doc, display="https://tableau.example/#/workbooks/42")
    assert str(info.value) == "https://tableau.example/#/workbooks/42: the file is empty (0 bytes)"


def test_in_memory_package_limits_apply_to_the_document(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Book.twb", TWB[:-11] + b" " * 300_000 + b"</workbook>")
    path = tmp_path / "big.twbx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ParseError, match="looks like a zip bomb"):
        load_file(path, limits=PackageLimits(ratio_floor=1024, max_ratio=50))
