"""Read .twbx/.tdsx packages (ZIP) safely, in memory, with caps.

Nothing is ever extracted to disk and member names are never used as paths. Before a member
is read, the package is checked as a whole: member count, declared sizes, compression ratio
(zip bombs) and member names that would escape the package root (``../``, absolute paths).
Reads are bounded whatever the headers claim, so a member that lies about its size cannot
make the auditor inflate more than the cap; whole members are inflated by ISA-L, with
zipfile's checks (:mod:`~tableau_audit.parsing.inflate`). Names written without the ZIP UTF-8
flag are repaired from cp437 (tableau-format.md §1). The document is the ``.twb``/``.tds`` with the
fewest ``/``, ignoring macOS ``__MACOSX/`` and ``._`` AppleDouble entries.
"""

from __future__ import annotations

import contextlib
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import BinaryIO

from tableau_audit.errors import ParseError
from tableau_audit.model import Diagnostic, ExtractFormat, PackagedFile, PackagedFileKind
from tableau_audit.parsing.detect import extract_format
from tableau_audit.parsing.inflate import COPY_CHUNK, FAST_METHODS, chunks
from tableau_audit.records import frozen

__all__ = ["Member", "Package", "PackageLimits"]

_MIB = 1024 * 1024
_UTF8_FLAG = 0x800
_ENCRYPTED_FLAG = 0x1

_DOCUMENT_SUFFIXES = (".twb", ".tds")
_EXTRACT_SUFFIXES = (".hyper", ".tde")
_RAW_DATA_SUFFIXES = frozenset(
    {
        ".csv", ".tsv", ".txt", ".tab", ".dat", ".json", ".xml", ".xls", ".xlsx", ".xlsm",
        ".xlsb", ".ods", ".parquet", ".orc", ".avro", ".mdb", ".accdb", ".sav", ".zsav",
        ".sas7bdat", ".xpt", ".dta", ".rdata", ".rds", ".kml", ".kmz", ".geojson", ".topojson",
        ".shp", ".shx", ".dbf", ".prj", ".cpg", ".gpkg", ".gdb", ".mif", ".mid", ".db",
        ".sqlite", ".sqlite3", ".duckdb", ".feather", ".arrow",
    }
)  # fmt: skip
_IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".ico", ".tif", ".tiff", ".webp", ".emf"}
)
_CACHE_DIRS = ("TwbxExternalCache", "TwbxResultsCache", "TwbxLQResultsCache", "ExternalCache")


@frozen
class PackageLimits:
    """Caps applied to every package. The defaults fit real workbooks with large extracts."""

    max_members: int = 20_000
    max_total_size: int = 16 * 1024 * _MIB
    """Sum of the declared uncompressed sizes."""
    max_member_size: int = 8 * 1024 * _MIB
    """Declared uncompressed size of any one member."""
    max_document_size: int = 256 * _MIB
    """Bytes read for the .twb/.tds itself."""
    max_ratio: int = 200
    """Uncompressed/compressed ratio above which a member is a zip bomb..."""
    ratio_floor: int = 4 * _MIB
    """...once it is bigger than this (tiny members legitimately compress very well)."""


class Package:
    """An opened package: its members, the chosen document and bounded member reads.

    ``fileobj`` must stay open while the package is used.
    """

    def __init__(
        self, fileobj: BinaryIO, artifact: str, limits: PackageLimits | None = None
    ) -> None:
        self.artifact = artifact
        self.limits = limits or PackageLimits()
        self._file = fileobj
        self._reading = threading.Lock()
        """Held by every member read: a read seeks the one file (readers may share a package)."""
        self._zip = _open_zip(fileobj, artifact, self.limits)
        infos = [info for info in self._zip.infolist() if not info.is_dir()]
        _check_names(infos, artifact)
        _check_sizes(infos, artifact, self.limits)
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._raw_names: dict[str, str] = {}
        duplicates: set[str] = set()
        for info in infos:  # NOTE: for duplicate names the last entry wins, as in zipfile
            path = _repair_name(info)
            if path in self._infos:
                duplicates.add(path)
            self._infos[path] = info
            self._raw_names[info.filename] = path
        self.diagnostics = tuple(
            Diagnostic(
                code="TA902",
                message=f"package has several members named {name!r}; the last one is read",
                place=(f"member:{name}",),
            )
            for name in sorted(duplicates)
        )
        document = _choose_document(self._infos)
        if document is None:
            raise ParseError(artifact, "the package holds no .twb or .tds document")
        self.document_path = document
        self.members = tuple(self._describe(path) for path in sorted(self._infos))

    @property
    def document(self) -> PackagedFile:
        """The package's .twb/.tds member."""
        return next(m for m in self.members if m.path == self.document_path)

    def read_document(self) -> bytes:
        """Bytes of the chosen .twb/.tds, capped at ``max_document_size``."""
        return self.read(self.document_path, limit=self.limits.max_document_size)

    def read(self, path: str, *, limit: int | None = None) -> bytes:
        """Bytes of one member, never more than ``limit`` nor the zip-bomb ratio allows.

        The member must inflate to exactly its declared size and CRC-32, or it is corrupt
        (:class:`ParseError`).
        """
        info = self._bounded_info(path, limit)
        # NOTE: one piece one byte over the declared size: a single inflate call, and joining
        # one bytes object returns it without a copy.
        return b"".join(self._pieces(info, path, size=info.file_size + 1))

    def copy_to(self, path: str, write: Callable[[bytes], object]) -> None:
        """Hand one member to ``write`` in pieces of :data:`~.inflate.COPY_CHUNK` bytes, checked
        like :meth:`read`, so that it is never held whole in memory.

        :class:`ParseError` can come after some pieces were written: the caller discards them.
        What ``write`` raises goes through unchanged (a full disk is not a corrupt member);
        ``write`` runs under the package's read lock and must not read this package.
        """
        info = self._bounded_info(path, None)
        with contextlib.closing(self._pieces(info, path, size=COPY_CHUNK)) as pieces:
            for piece in pieces:
                write(piece)

    def member(self, path: str) -> Member:
        """A reference to one member, read only when :meth:`Member.copy_to` is called."""
        info = self._infos[path]
        return Member(package=self, path=path, checksum=(info.file_size, info.CRC))

    def resolve(self, dbname: str) -> PackagedFile | None:
        """The member an XML ``dbname`` names: exact, then repaired, then by base name."""
        wanted = dbname.replace("\\", "/").removeprefix("./")
        if wanted in self._raw_names:
            wanted = self._raw_names[wanted]
        by_path = {m.path: m for m in self.members}
        if wanted in by_path:
            return by_path[wanted]
        base = wanted.rsplit("/", 1)[-1]
        # NOTE: a base-name match is the last resort (tableau-format.md §16 R1); only accept
        # it when it is unambiguous.
        matches = [m for m in self.members if m.path.rsplit("/", 1)[-1] == base]
        return matches[0] if len(matches) == 1 else None

    def _ratio_bound(self, info: zipfile.ZipInfo) -> int:
        return max(self.limits.ratio_floor, self.limits.max_ratio * info.compress_size)

    def _bounded_info(self, path: str, limit: int | None) -> zipfile.ZipInfo:
        """The member's entry, once its declared size is known to be within the bounds."""
        info = self._infos[path]
        bound = min(limit or self.limits.max_member_size, self._ratio_bound(info))
        if info.file_size > bound:
            raise ParseError(self.artifact, f"package member {path!r} is too large to read")
        return info

    def _pieces(
        self, info: zipfile.ZipInfo, path: str, *, size: int
    ) -> Generator[bytes, None, None]:
        """The member's bytes, ``size`` at a time, checked; a failure to read it is ParseError.

        Holds the read lock until exhausted or closed. Only the reading is translated: what the
        consumer raises between pieces is raised in its own frame, never in here.
        """
        with self._member_errors(info, path), self._reading:
            if info.compress_type in FAST_METHODS:
                yield from chunks(self._file, info, size=size)
                return
            with self._zip.open(info) as handle:
                while piece := handle.read(size):
                    yield piece

    def _head(self, info: zipfile.ZipInfo, path: str, size: int) -> bytes:
        """The first ``size`` bytes of a member (to recognise its format)."""
        with self._member_errors(info, path), self._reading, self._zip.open(info) as handle:
            return handle.read(size)

    @contextmanager
    def _member_errors(self, info: zipfile.ZipInfo, path: str) -> Iterator[None]:
        """Reading one member: refuse an encrypted one, and turn failures into ParseError."""
        if info.flag_bits & _ENCRYPTED_FLAG:
            raise ParseError(self.artifact, f"package member {path!r} is encrypted")
        try:
            yield
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise ParseError(
                self.artifact, f"package member {path!r} is corrupt ({type(exc).__name__})"
            ) from None
        except NotImplementedError:
            raise ParseError(
                self.artifact, f"package member {path!r} uses an unsupported compression method"
            ) from None

    def _member_format(self, info: zipfile.ZipInfo, path: str) -> ExtractFormat:
        if not info.file_size:
            return ExtractFormat.EMPTY
        try:
            return extract_format(self._head(info, path, 16))
        except ParseError:
            # NOTE: a corrupt member other than the document does not stop the audit; the
            # extract reader reports it when it tries to open it.
            return ExtractFormat.UNKNOWN

    def _describe(self, path: str) -> PackagedFile:
        info = self._infos[path]
        kind = _kind_by_name(path, is_document=path == self.document_path)
        fmt: ExtractFormat | None = None
        if kind in (PackagedFileKind.EXTRACT, PackagedFileKind.OTHER):
            fmt = self._member_format(info, path)
            if fmt in (ExtractFormat.HYPER, ExtractFormat.TDE):
                kind = PackagedFileKind.EXTRACT
            elif kind is PackagedFileKind.OTHER:
                fmt = None
        return PackagedFile(path=path, size=info.file_size, kind=kind, extract_format=fmt)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Member:
    """One member of an opened package, inflated only when someone needs its bytes.

    ``checksum`` is its (size, CRC-32) as the zip's directory declares them. A read of the
    member checks them (``zipfile`` verifies the CRC at the end of every full read), so two
    reads of the same file with equal checksums read the same bytes: the extract read ahead can
    be matched to the one asked for without inflating it again (a 370 MB extract took 1.5 s).
    """

    package: Package
    path: str
    checksum: tuple[int, int]

    @property
    def label(self) -> str:
        """``<package>:<member path>``: how reads, read-aheads and messages name it."""
        return f"{self.package.artifact}:{self.path}"

    def copy_to(self, write: Callable[[bytes], object]) -> None:
        """The member's bytes to ``write``, in bounded pieces (:meth:`Package.copy_to`)."""
        self.package.copy_to(self.path, write)


def _open_zip(fileobj: BinaryIO, artifact: str, limits: PackageLimits) -> zipfile.ZipFile:
    count = _declared_member_count(fileobj)
    if count is not None and count > limits.max_members:
        raise ParseError(
            artifact,
            f"the package declares {count} members, over the limit of {limits.max_members}",
        )
    try:
        return zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as exc:
        raise ParseError(
            artifact,
            f"not a readable ZIP package: truncated or corrupt ({type(exc).__name__})",
        ) from None


def _declared_member_count(fileobj: BinaryIO) -> int | None:
    """Member count from the end-of-central-directory record, before zipfile reads it all."""
    try:
        fileobj.seek(0, 2)
        size = fileobj.tell()
        start = max(0, size - (65535 + 22))
        fileobj.seek(start)
        tail = fileobj.read()
        fileobj.seek(0)
    except OSError:
        return None
    index = tail.rfind(b"PK\x05\x06")
    if index < 0 or index + 22 > len(tail):
        return None
    count = int(struct.unpack_from("<H", tail, index + 10)[0])
    locator = index - 20
    if count == 0xFFFF and locator >= 0 and tail.startswith(b"PK\x06\x07", locator):
        return None  # ZIP64: zipfile reads it; the later per-member checks still apply
    return count


def _check_names(infos: Iterable[zipfile.ZipInfo], artifact: str) -> None:
    """Refuse packages whose member names would escape the package root."""
    bad = [info.filename for info in infos if _escapes_root(info.filename)]
    if bad:
        raise ParseError(
            artifact,
            f"{len(bad)} package member name(s) escape the package root "
            f"(absolute or '..' paths), e.g. {bad[0][:120]!r}; refused",
        )


def _escapes_root(name: str) -> bool:
    normal = name.replace("\\", "/")
    if normal.startswith("/") or (len(normal) > 1 and normal[1] == ":"):
        return True
    return ".." in normal.split("/") or "\x00" in normal


def _check_sizes(infos: list[zipfile.ZipInfo], artifact: str, limits: PackageLimits) -> None:
    """Declared-size caps and the compression-ratio guard (zip bombs)."""
    if len(infos) > limits.max_members:
        raise ParseError(
            artifact,
            f"the package has {len(infos)} members, over the limit of {limits.max_members}",
        )
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > limits.max_member_size:
            raise ParseError(
                artifact, f"package member {info.filename[:120]!r} is too large to audit"
            )
        ratio_bound = max(limits.ratio_floor, limits.max_ratio * info.compress_size)
        if info.file_size > ratio_bound:
            ratio = info.file_size // max(info.compress_size, 1)
            raise ParseError(
                artifact,
                f"package member {info.filename[:120]!r} looks like a zip bomb "
                f"(compression ratio {ratio}:1)",
            )
    if total > limits.max_total_size:
        raise ParseError(artifact, "the package's total uncompressed size is over the limit")


def _repair_name(info: zipfile.ZipInfo) -> str:
    """Undo zipfile's cp437 decoding of UTF-8 names written without the UTF-8 flag."""
    name = info.filename
    if info.flag_bits & _UTF8_FLAG or name.isascii():
        return name
    try:
        return name.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _is_ignored(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return path.startswith("__MACOSX/") or base.startswith("._")


def _choose_document(infos: dict[str, zipfile.ZipInfo]) -> str | None:
    """The .twb/.tds with the fewest ``/`` (a .twb wins a tie, then the name)."""
    candidates = [
        path
        for path in infos
        if path.lower().endswith(_DOCUMENT_SUFFIXES) and not _is_ignored(path)
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda p: (p.count("/"), not p.lower().endswith(".twb"), p))


def _kind_by_name(path: str, *, is_document: bool) -> PackagedFileKind:
    """Role of a member from its path; extract candidates are confirmed by magic bytes."""
    if is_document:
        return PackagedFileKind.DOCUMENT
    parts = path.split("/")
    if any(part.startswith(_CACHE_DIRS) for part in parts[:-1]):
        return PackagedFileKind.QUERY_CACHE
    base = parts[-1].lower()
    suffix = base[base.rfind(".") :] if "." in base[1:] else ""
    if _is_ignored(path):
        return PackagedFileKind.OTHER
    if suffix in _EXTRACT_SUFFIXES:
        return PackagedFileKind.EXTRACT
    if suffix in _RAW_DATA_SUFFIXES:
        return PackagedFileKind.RAW_DATA
    if suffix in _IMAGE_SUFFIXES or parts[0] == "Image":
        return PackagedFileKind.IMAGE
    return PackagedFileKind.OTHER
