"""Text that every report can hold, made from file names."""

from __future__ import annotations

from pathlib import Path


def display_path(path: Path | str) -> str:
    """The path as text: bytes of a file name that are not UTF-8 become U+FFFD.

    File names are bytes on POSIX; Python keeps undecodable ones as lone surrogates, which no
    UTF-8 report, SARIF log or terminal can encode.
    """
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
