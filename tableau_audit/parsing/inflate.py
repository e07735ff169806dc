"""Reads of zip members, inflated by ISA-L instead of zlib.

Inflating is most of the cost of reading a package: the document of a typical .twbx, and all
of a packaged extract (1.6 s of a 2.8 s audit for a 155 MB member with zlib). ISA-L
(``python-isal``) inflates the same DEFLATE streams about twice as fast, and without the GIL.

:func:`chunks` does what ``zipfile`` does for a member read, with the same checks: the local
header's signature and name must agree with the central directory, and the member must inflate
to exactly its declared size with its declared CRC-32. It yields the bytes in bounded pieces,
so that an extract can be copied for hyperd without ever being held in memory whole (a
packaged extract may be gigabytes); one piece of the whole size is a whole read. Anything else, or a
compression method other than stored and DEFLATE, is left to ``zipfile``
(:data:`FAST_METHODS`). Failures raise ``zipfile.BadZipFile`` or ``EOFError``, as ``zipfile``'s
own read would (``NotImplementedError`` for what ``zipfile`` cannot read either), so callers
report them the same way.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO, cast

from isal import isal_zlib

__all__ = ["COPY_CHUNK", "FAST_METHODS", "chunks"]

FAST_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
"""Compression methods :func:`chunks` reads itself."""
COPY_CHUNK = 4 * 1024 * 1024
"""Bytes per piece when a member is streamed (a packaged extract copied for hyperd)."""

_LOCAL_HEADER = struct.Struct("<4s2xHH4xIIIHH")
"""signature, flags, method, CRC-32, compressed size, size, name length, extra length."""
_LOCAL_SIGNATURE = b"PK\x03\x04"
_UTF8_FLAG = 0x800
_UNSUPPORTED_FLAGS = 0x1 | 0x20 | 0x40
"""Encrypted, compressed patch data, strong encryption (``zipfile`` needs a password or raises
``NotImplementedError``)."""
_RAW_DEFLATE = -15
"""``wbits`` for a DEFLATE stream without zlib header or trailer, as zip members store it."""
_INFLATE_ERROR = cast("type[Exception]", isal_zlib.error)
"""What a corrupt stream raises (python-isal's stubs declare it as an instance, not a class)."""


def chunks(fileobj: BinaryIO, info: zipfile.ZipInfo, *, size: int = COPY_CHUNK) -> Iterator[bytes]:
    """The member's bytes in pieces of at most ``size``, checked against its declared size and CRC.

    A piece is yielded before the whole member is checked: a consumer that writes them out must
    discard what it wrote when the iteration raises. At most ``size`` bytes beyond the declared
    size are ever inflated.
    """
    if info.flag_bits & _UNSUPPORTED_FLAGS:
        raise NotImplementedError
    _seek_data(fileobj, info)
    if info.compress_type == zipfile.ZIP_STORED:
        pieces = _stored(fileobj, info, size)
    else:
        pieces = _deflated(fileobj, info.compress_size, size)
    total = crc = 0
    for piece in pieces:
        total += len(piece)
        if total > info.file_size:
            raise zipfile.BadZipFile
        crc = isal_zlib.crc32(piece, crc)
        yield piece
    if total < info.file_size:
        raise EOFError
    if crc != info.CRC:
        raise zipfile.BadZipFile


def _seek_data(fileobj: BinaryIO, info: zipfile.ZipInfo) -> None:
    """Check the member's local header, as ``zipfile`` does, and seek to its data."""
    fileobj.seek(info.header_offset)
    header = fileobj.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise EOFError
    signature, flags, _, _, _, _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    if signature != _LOCAL_SIGNATURE:
        raise zipfile.BadZipFile
    name = fileobj.read(name_length).decode("utf-8" if flags & _UTF8_FLAG else "cp437")
    if name != info.orig_filename:
        raise zipfile.BadZipFile
    fileobj.seek(extra_length, 1)


def _stored(fileobj: BinaryIO, info: zipfile.ZipInfo, size: int) -> Iterator[bytes]:
    if info.compress_size > info.file_size:
        raise zipfile.BadZipFile  # NOTE: what zipfile's size and CRC checks conclude
    left = info.compress_size
    while left:
        piece = fileobj.read(min(left, size))
        if not piece:
            raise EOFError
        left -= len(piece)
        yield piece


def _deflated(fileobj: BinaryIO, compressed: int, size: int) -> Iterator[bytes]:
    """Inflated pieces of at most ``size`` bytes, reading at most ``size`` compressed at once.

    Stops at the end of the DEFLATE stream, or when the compressed bytes run out (then the
    caller's size and CRC checks decide, as in ``zipfile``).
    """
    decompressor = isal_zlib.decompressobj(_RAW_DEFLATE)
    pending = b""
    left = compressed
    full = False  # NOTE: a piece that filled ``size`` may leave output inside the decompressor
    while not decompressor.eof:
        if not pending and not full:
            if not left:
                return
            pending = fileobj.read(min(left, size))
            if not pending:
                raise EOFError
            left -= len(pending)
        try:
            piece = decompressor.decompress(pending, size)
        except _INFLATE_ERROR:  # NOTE: not a zlib.error; callers expect what zipfile raises
            raise zipfile.BadZipFile from None
        pending = decompressor.unconsumed_tail
        full = len(piece) == size
        if piece:
            yield piece
