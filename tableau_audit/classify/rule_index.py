"""Which name rules can match a name, from the first tokens their patterns can start with.

A rule pattern is matched on whole tokens (``(?<![^ ])(?:pattern)(?![^ ])`` over the tokens
joined by single spaces), so every match starts at a token and its first token is a whole
token of the name. Every built-in pattern is a finite set of token sequences written with
literal characters, groups, ``|``, ``?`` and ``\\w*``: its possible first tokens can be listed,
``\\w*`` making a token open-ended (``diagnos\\w*`` starts ``diagnosed``). A rule whose first
tokens include none of a name's tokens cannot match the name.

So :func:`candidates` narrows the rules to try on a name with a few set lookups, and only the
rules a run actually meets get their regular expression compiled (issue 2, scan speed: one
alternation of all rules cost 4 ms to compile and 5 µs per name to search). A pattern outside
that grammar (none today; ``tests/classify/test_name_index.py`` checks) is simply always a
candidate, so the index can never hide a match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tableau_audit.records import frozen

__all__ = ["RuleIndex", "UnsupportedPattern", "candidates", "first_tokens", "index"]

_OPEN = "\x00"
"""Stands for ``\\w*`` in an expansion: any run of word characters."""
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789 ")


class UnsupportedPattern(ValueError):
    """A pattern uses syntax outside the grammar above (its rule is then always tried)."""


@frozen
class RuleIndex:
    """Rule positions (in the order given) by the first token they can start with."""

    exact: dict[str, tuple[int, ...]]
    """Whole first token → rules."""
    prefixes: tuple[tuple[str, tuple[int, ...]], ...]
    """Open-ended first tokens (``diagnos`` for ``diagnos\\w*``) → rules."""
    always: tuple[int, ...]
    """Rules whose pattern could not be listed: tried on every name."""


def index(patterns: Sequence[str]) -> RuleIndex:
    """The index of ``patterns`` (rule positions refer to this sequence)."""
    exact: dict[str, list[int]] = {}
    prefixes: dict[str, list[int]] = {}
    always: list[int] = []
    for position, pattern in enumerate(patterns):
        try:
            firsts = first_tokens(pattern)
        except UnsupportedPattern:
            always.append(position)
            continue
        for token in sorted(firsts):
            if _OPEN in token:
                prefixes.setdefault(token.split(_OPEN, 1)[0], []).append(position)
            else:
                exact.setdefault(token, []).append(position)
    return RuleIndex(
        exact={token: tuple(found) for token, found in exact.items()},
        prefixes=tuple((prefix, tuple(found)) for prefix, found in sorted(prefixes.items())),
        always=tuple(always),
    )


def candidates(rules: RuleIndex, tokens: Iterable[str]) -> list[int]:
    """Positions, ascending, of the rules that may match a name made of ``tokens``."""
    found = set(rules.always)
    for token in set(tokens):
        found.update(rules.exact.get(token, ()))
        for prefix, positions in rules.prefixes:
            if token.startswith(prefix):
                found.update(positions)
    return sorted(found)


def first_tokens(pattern: str) -> frozenset[str]:
    """Every token a match of ``pattern`` can start with (``\\x00`` marks ``\\w*``).

    Raises :class:`UnsupportedPattern` for syntax outside the grammar, and for a pattern that
    can match an empty string (its matches need not start with a token).
    """
    expansions, end = _alternatives(pattern, 0)
    if end != len(pattern):
        raise UnsupportedPattern(pattern)
    if "" in expansions:
        raise UnsupportedPattern(pattern)
    # NOTE: a match starts at a token, never at a space: expansions starting with one can
    # only match where two spaces meet, which joined tokens never have.
    return frozenset(e.split(" ", 1)[0] for e in expansions if not e.startswith(" "))


def _alternatives(pattern: str, at: int) -> tuple[list[str], int]:
    """The strings of ``a|b|...`` starting at ``at``, up to a ``)`` or the end."""
    found, at = _sequence(pattern, at)
    while at < len(pattern) and pattern[at] == "|":
        more, at = _sequence(pattern, at + 1)
        found += more
    return found, at


def _sequence(pattern: str, at: int) -> tuple[list[str], int]:
    """The strings of one branch: items one after the other, each maybe optional (``?``)."""
    found = [""]
    while at < len(pattern) and pattern[at] not in "|)":
        if pattern[at] == "(":
            item, at = _alternatives(pattern, at + 1)
            if at >= len(pattern) or pattern[at] != ")":
                raise UnsupportedPattern(pattern)
            at += 1
        elif pattern.startswith("\\w*", at):
            item, at = [_OPEN], at + 3
        elif pattern[at] in _LITERAL:
            item, at = [pattern[at]], at + 1
        else:
            raise UnsupportedPattern(pattern)
        if at < len(pattern) and pattern[at] == "?":
            item, at = [*item, ""], at + 1
        found = [head + tail for head in found for tail in item]
    return found, at
