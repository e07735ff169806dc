"""Small helpers for Tableau's bracketed names (tableau-format.md §2) and source lines.

Field ids are bracketed (``[Order Date]``), a ``]`` inside a name is written ``]]``, and
qualified names chain brackets with dots (``[Extract].[Extract]``, ``[ds].[field]``).
"""

from __future__ import annotations

from typing import cast

from lxml import etree

from tableau_audit.formula import read_bracketed

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
        name, i = read_bracketed(text, i)
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
