"""Field references in Tableau calculation formulas (tableau-format.md §12).

A formula names fields in brackets: ``[Sales]`` for a field of the same data source,
``[federated.0abc].[Sales Target]`` for another data source (blends),
``[Parameters].[Top N]`` for a parameter and ``[__tableau_internal_object_id__].[<id>]`` for the
"count of table" pseudo-field. LOD expressions (``{FIXED [Region] : SUM([Sales])}``) use the
same syntax. Brackets inside string literals (``'[A-Za-z]'``, ``"…"``) and ``//`` comments are
not references, and a ``]`` inside a name is written ``]]``.

The tokenizer is a single left-to-right scan. It never raises: unterminated strings, names or
comments simply run to the end of the text, which is what Tableau's own editor shows for them.
"""

from __future__ import annotations

import re

from tableau_audit.records import frozen

__all__ = ["FormulaRef", "formula_references", "read_bracketed"]

_SPECIAL = re.compile(r"[\['\"]|//")
"""What can start a reference, a string literal or a comment; everything else is skipped."""


@frozen
class FormulaRef:
    """One field reference found in a formula."""

    datasource: str | None
    """Qualifier of ``[ds].[field]`` (internal name, ``Parameters``…); ``None`` if unqualified."""
    field: str
    """Field name without brackets, ``]]`` unescaped."""


def read_bracketed(text: str, start: int) -> tuple[str, int]:
    """Read the bracketed name opening at ``text[start] == '['``.

    Returns the unescaped name and the index just past its closing bracket (``len(text)`` when
    the name is not terminated).
    """
    parts: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        end = text.find("]", i)
        if end < 0:
            parts.append(text[i:])
            return "".join(parts), n
        if end + 1 < n and text[end + 1] == "]":
            # NOTE: ``]]`` is an escaped ``]`` inside the name, not its end.
            parts.append(text[i : end + 1])
            i = end + 2
            continue
        parts.append(text[i:end])
        return "".join(parts), end + 1
    return "".join(parts), n


def _skip_string(text: str, start: int) -> int:
    """Index just past the string literal opening at ``start`` (a doubled quote is an escape)."""
    quote = text[start]
    i = start + 1
    n = len(text)
    while i < n:
        end = text.find(quote, i)
        if end < 0:
            return n
        if end + 1 < n and text[end + 1] == quote:
            i = end + 2
            continue
        return end + 1
    return n


def _skip_comment(text: str, start: int) -> int:
    """Index of the line break ending the ``//`` comment at ``start`` (or the end of the text)."""
    ends = [pos for pos in (text.find("\n", start), text.find("\r", start)) if pos >= 0]
    return min(ends) if ends else len(text)


def _read_reference(text: str, start: int) -> tuple[FormulaRef, int]:
    """Read ``[a]`` or ``[a].[b]`` (or a longer OLAP-style chain) starting at ``start``."""
    parts: list[str] = []
    i = start
    n = len(text)
    while True:
        name, i = read_bracketed(text, i)
        parts.append(name)
        if i + 1 < n and text[i] == "." and text[i + 1] == "[":
            i += 1
            continue
        break
    if len(parts) == 1:
        return FormulaRef(datasource=None, field=parts[0]), i
    # NOTE: three-part names are OLAP hierarchies (out of scope, tableau-format.md §2) or
    # ``[ds].[__tableau_internal_object_id__].[…]``; the first two parts keep the qualifier.
    return FormulaRef(datasource=parts[0], field=parts[1]), i


def formula_references(formula: str) -> tuple[FormulaRef, ...]:
    """Every field reference in ``formula``, in order of appearance, without duplicates."""
    found: dict[FormulaRef, None] = {}
    i = 0
    while (match := _SPECIAL.search(formula, i)) is not None:
        i = match.start()
        ch = formula[i]
        if ch == "[":
            ref, i = _read_reference(formula, i)
            found.setdefault(ref)
        elif ch == "/":
            i = _skip_comment(formula, i)
        else:
            i = _skip_string(formula, i)
    return tuple(found)
