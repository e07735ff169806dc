"""Small helpers for Tableau's bracketed names (tableau-format.md §2) and source lines.

Field ids are bracketed (``[Order Date]``), a ``]`` inside a name is written ``]]``, and
qualified names chain brackets with dots (``[Extract].[Extract]``, ``[ds].[field]``).
"""

from __future__ import annotations

from typing import cast

from lxml import etree

__all__ = ["dotted", "line_of", "split_qualified", "unbracket"]


def line_of(element: etree._Element) -> int | None:
    """Line of ``element`` in its document (lxml-stubs leave ``sourceline`` untyped)."""
    return cast("int | None", element.sourceline)


def split_qualified(text: str) -> tuple[str, ...]:
    """``"[a].[b]"`` → ``("a", "b")``; a bare ``"a"`` → ``("a",)``; ``]]`` is unescaped."""
    text = text.strip()
    if not text.startswith("["):
        return (text,) if text else ()
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n and text[i] == "[":
        name, i = _read_bracketed(text, i)
        parts.append(name)
        if i < n and text[i] == ".":
            i += 1
    if i < n:
        # NOTE: trailing text that is not a bracketed part (rare, hand-made files) is kept
        # as its own part rather than dropped.
        parts.append(text[i:])
    return tuple(parts)


def unbracket(text: str | None) -> str:
    """A single bracketed name without its brackets; qualified names keep their dots.

    ``"[First Name]"`` → ``"First Name"``; ``"[a]]b]"`` → ``"a]b"``; ``"[a].[b]"`` stays
    ``"[a].[b]"`` because it names a field of another object.
    """
    if not text:
        return ""
    if text[0] == "[" and text.find("]") == len(text) - 1:
        return text[1:-1]  # NOTE: the common case, without the general scan
    parts = split_qualified(text)
    return parts[0] if len(parts) == 1 else text.strip()


def dotted(text: str | None) -> str:
    """``"[Extract].[Extract]"`` → ``"Extract.Extract"``, the form extract tables use."""
    if not text:
        return ""
    return ".".join(split_qualified(text))


def _read_bracketed(text: str, start: int) -> tuple[str, int]:
    """The unescaped name opening at ``text[start] == '['`` and the index past it."""
    parts: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        end = text.find("]", i)
        if end < 0:
            parts.append(text[i:])
            return "".join(parts), n
        if end + 1 < n and text[end + 1] == "]":
            parts.append(text[i : end + 1])
            i = end + 2
            continue
        parts.append(text[i:end])
        return "".join(parts), end + 1
    return "".join(parts), n
