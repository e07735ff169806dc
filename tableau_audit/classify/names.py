"""Classification by column name: tokenise, match rules, weigh contradictions (pii-detection.md §2).

A name is split into lower-case tokens (camelCase, snake_case, spaces, punctuation, digits),
run-together words are split against the rule vocabulary (``firstname`` → ``first name``) and
abbreviations are expanded (``dob`` → ``date of birth``). The rules in
:mod:`tableau_audit.classify.name_rules` are matched on whole tokens over the remote name, the local
name and the caption; the best match wins and says which of the three it came from.

A match is capped (``contradicted``) when the words around it say the column is *about* the type
rather than holding it (``email_verified``, ``has_phone``, ``avg_salary``, ``card_type``), when a
word after it is not one the type expects (``zip_file``), or when the datatype cannot hold it (a
boolean ``password_expired``, an integer ``email``). Capped matches are still returned, so callers
can explain why a column was *not* flagged; :func:`tableau_audit.classify.columns.classify_column`
applies the policy's threshold.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from tableau_audit.classify import name_rules as nr
from tableau_audit.classify import rule_index
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import PiiType, Tier
from tableau_audit.records import frozen

__all__ = ["NameMatch", "classify_name", "datatype_kind", "tokenize"]

USER_PATTERN_SCORE = 0.9
"""Score of a match from a user pattern; user patterns win over built-in rules."""
_CAP_AROUND = 0.3
_CAP_UNEXPECTED = 0.5
_CAP_BOOLEAN = 0.2
_CAP_NUMERIC = 0.4
_DATE_BONUS = 0.05
MAX_NAME_LENGTH = 256
"""Longer names are classified on their first characters: names are attacker-controlled text."""
_MAX_SEGMENTED = 40

_SUFFIX = re.compile(r"^(?P<base>.*?\S)\s*\((?P<context>[^()]*)\)\s*(?:#\s*\d+)?\s*$")
_DUPLICATE_MARK = re.compile(r"\s+#\s*\d+\s*$")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
"""Case boundaries inside a word (``emailAddr``, ``SSNNumber``). Letters and digits need no
boundary of their own: :data:`_WORD` splits them apart anyway."""
_WORD = re.compile(r"[^\W\d_]+|\d+")
_SHORT_PIECES = nr.words(
    "of id ip no num nbr dob ssn tel zip fax cvv tax geo gps emp mob api key mac dl"
)
_DATATYPE_KINDS = {
    **dict.fromkeys(("string", "str", "wstr", "text", "varchar", "nvarchar", "char"), "text"),
    **dict.fromkeys(
        ("integer", "int", "real", "float", "double", "decimal", "numeric", "number"), "number"
    ),
    **dict.fromkeys(("big_int", "bigint", "small_int", "smallint", "tinyint"), "number"),
    **dict.fromkeys(("boolean", "bool"), "boolean"),
    **dict.fromkeys(("date", "datetime", "timestamp", "timestamp_tz", "timestamptz"), "date"),
}


def _vocabulary() -> frozenset[str]:
    words: set[str] = set()
    for rule in nr.RULES:
        words.update(re.findall(r"[a-z]{2,}", rule.pattern))
    for profile in nr.PROFILES.values():
        words.update(profile.keep)
    for expansion in nr.ABBREVIATIONS.values():
        words.update(expansion)
    words.update(nr.ABBREVIATIONS)
    for group in (nr.NEUTRAL, nr.DESCRIPTORS, nr.TIME_WORDS, nr.ID_WORDS, nr.LEADING_CAPS):
        words.update(group)
    for group in (nr.PERSON_CONTEXT, nr.NON_POSTAL_ADDRESS, nr.CRIMINAL_CONTEXT, nr.NUMBER_WORDS):
        words.update(group)
    words.update(nr.words("user host file data source table"))
    return frozenset(words)


_VOCABULARY = _vocabulary()
_LONGEST_WORD = max(map(len, _VOCABULARY))


@frozen
class NameMatch:
    """The best name match of a column, with what it matched and why its score is what it is."""

    pii_type: PiiType
    tier: Tier
    score: float
    """0..1; below the policy threshold when ``contradicted``."""
    matched: tuple[str, ...]
    """The tokens the rule matched (``("date", "of", "birth")``)."""
    contradicted: bool
    """True when a word around the match or the datatype capped the score."""
    matched_on: str = "name"
    """Which name matched: ``remote_name``, ``name`` (local name) or ``caption``."""
    tokens: tuple[str, ...] = ()
    """All tokens of the name that matched."""
    rule: str = ""
    """The rule's token pattern, or ``policy:<pattern>`` for a user pattern."""
    reasons: tuple[str, ...] = ()
    """Why the score was capped, in words (names only, never values)."""


# NOTE: a run meets a handful of datatype spellings; cached (bounded) rather than re-matched.
@functools.lru_cache(maxsize=256)
def datatype_kind(datatype: str) -> str:
    """``text``, ``number``, ``boolean``, ``date`` or ``""`` (unknown) for a Tableau/Hyper type."""
    head = re.match(r"[a-z_]+", datatype.strip().lower())
    return _DATATYPE_KINDS.get(head.group(0), "") if head else ""


def tokenize(name: str) -> tuple[str, ...]:
    """Lower-case tokens of a column name, abbreviations expanded.

    ``"Cust_DOB"`` → ``("customer", "date", "of", "birth")``; ``"emailAddr2"`` →
    ``("email", "address", "2")``; Tableau's ``" (table)"`` and ``" #2"`` suffixes are dropped.
    """
    return _tokens(_split_suffix(name)[0])


# NOTE: bounded cache of a pure function of a name (never a value), like _tokens below.
@functools.lru_cache(maxsize=4096)
def _split_suffix(name: str) -> tuple[str, str]:
    """Split off Tableau's de-duplication suffix: ``name (users) #1`` → ``name``, ``users``."""
    text = name[:MAX_NAME_LENGTH].strip().strip("[]").strip()
    found = _SUFFIX.match(text)
    if found:
        return found.group("base"), found.group("context")
    return _DUPLICATE_MARK.sub("", text), ""


def _words(text: str) -> list[str]:
    """Lower-case words of a name as written: split, but no abbreviation expanded."""
    text = text.replace("'", "").replace("\u2019", "")
    text = text.replace("#", " number ").replace("%", " percent ")
    if not text.islower():  # NOTE: an all-lower-case name has no case boundary to find
        text = _CAMEL.sub(" ", text)
    return _merge_email([w.lower() for w in _WORD.findall(text)])


# NOTE: a bounded cache of a pure function of a name (never a value): the same names and
# data-source captions recur across the columns and workbooks of a run (issue 2, scan speed).
@functools.lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[str, ...]:
    merged = _words(text)
    out: list[str] = []
    for word in merged:
        for piece in _segment(word):
            out.extend(nr.ABBREVIATIONS.get(piece, (piece,)))
    return tuple(
        "number" if i > 0 and token in nr.NUMBER_WORDS else token for i, token in enumerate(out)
    )


def _merge_email(words: list[str]) -> list[str]:
    """``e-mail`` and ``E_Mail`` split into ``e`` + ``mail``; join them back."""
    out: list[str] = []
    for word in words:
        if out and out[-1] == "e" and word in ("mail", "mails"):
            out[-1] = "e" + word
        else:
            out.append(word)
    return out


def _segment(word: str) -> tuple[str, ...]:
    """Split a run-together word into vocabulary words (``dateofbirth``), else keep it whole.

    Pieces are at least four letters long, or one of a few short rule words, so that words such as
    ``passage`` or ``percentage`` are never read as ``pass`` + ``age``.
    """
    if word in _VOCABULARY or not 6 <= len(word) <= _MAX_SEGMENTED or not word.isalpha():
        return (word,)
    # NOTE: the keys of ``best`` are the ends of the prefixes segmented so far, ascending: the
    # only starts worth trying. A piece longer than the longest vocabulary word cannot be one.
    # Both prunings change nothing but the time (issue 2, scan speed).
    best: dict[int, tuple[str, ...]] = {0: ()}
    for end in range(1, len(word) + 1):
        found: tuple[str, ...] | None = None
        for start, prefix in best.items():
            if end - start > _LONGEST_WORD:
                continue
            piece = word[start:end]
            if piece not in _VOCABULARY:
                continue
            if len(piece) < 4 and piece not in _SHORT_PIECES:
                continue
            if found is None or len(prefix) + 1 < len(found):
                found = (*prefix, piece)
        if found is not None:
            best[end] = found
    return best.get(len(word)) or (word,)


def classify_name(
    *,
    name: str,
    remote_name: str = "",
    caption: str = "",
    datatype: str = "",
    policy: Policy,
    context: str = "",
) -> NameMatch | None:
    """The best name match of a column over its remote name, local name and caption, or None.

    ``context`` is the data-source caption (or table name): it lets a bare ``Name`` in an
    ``Employees`` data source count as a person's name, and a ``Charge`` in ``Arrests`` count as a
    criminal charge. A match from one of the policy's extra patterns wins over the built-in rules.
    The result may be ``contradicted`` with a score below any sensible threshold; callers compare
    ``score`` with :attr:`Policy.min_confidence`.
    """
    kind = datatype_kind(datatype)
    shared_context = _context_tokens(context)
    user: list[NameMatch] = []
    builtin: list[NameMatch] = []
    seen: set[str] = set()
    for source, text in (("remote_name", remote_name), ("name", name), ("caption", caption)):
        key = text.strip().lower()
        if not key or key in seen:
            continue
        seen.add(key)
        base, suffix = _split_suffix(text)
        tokens = _tokens(base)
        if not tokens:
            continue
        if policy.extra_patterns:
            user.extend(_user_matches(tokens, tuple(_words(base)), source, policy))
        context_tokens = shared_context | _context_tokens(suffix) if suffix else shared_context
        builtin.extend(_rule_matches(tokens, source, kind, context_tokens, policy))
    candidates = user or builtin
    if not candidates:
        return None
    # NOTE: max() keeps the first of equal candidates, so ties go to the remote (physical) name.
    return max(candidates, key=lambda m: (m.score, m.tier))


@functools.lru_cache(maxsize=256)
def _context_tokens(text: str) -> frozenset[str]:
    tokens = _tokens(text[:MAX_NAME_LENGTH]) if text else ()
    singular = (t[:-1] for t in tokens if t.endswith("s") and len(t) > 3)
    return frozenset((*tokens, *singular))


def _user_matches(
    tokens: tuple[str, ...], words: tuple[str, ...], source: str, policy: Policy
) -> Iterator[NameMatch]:
    """Matches of the policy's patterns over the expanded tokens or the words as written, so that
    both ``^employee ref$`` and ``^emp ref$`` match ``EMP_REF``."""
    expanded, written = " ".join(tokens), " ".join(words)
    for extra in policy.extra_patterns:
        found = re.search(extra.pattern, expanded) or re.search(extra.pattern, written)
        if found is None:
            continue
        tier = extra.tier if extra.tier is not None else policy.tier_for(extra.pii_type)
        yield NameMatch(
            pii_type=extra.pii_type,
            tier=tier,
            score=USER_PATTERN_SCORE,
            matched=tuple(found.group(0).split()),
            contradicted=False,
            matched_on=source,
            tokens=tokens,
            rule=f"policy:{extra.pattern}",
        )


def _rule_matches(
    tokens: tuple[str, ...],
    source: str,
    kind: str,
    context: frozenset[str],
    policy: Policy,
) -> Iterator[NameMatch]:
    for rule, spans in _rule_hits(tokens):
        if rule.datatypes is not None and kind not in rule.datatypes:
            continue
        for start, end in spans:
            # NOTE: the context must come from outside the match: `booking` alone is a hotel's.
            outside = frozenset((*tokens[:start], *tokens[end:])) | context
            if rule.needs_context and not rule.needs_context & outside:
                continue
            assessed = _assess(rule, tokens, start, end, kind)
            if assessed is None:
                continue
            score, reasons = assessed
            yield NameMatch(
                pii_type=rule.pii_type,
                tier=policy.tier_for(rule.pii_type, rule.tier),
                score=round(score, 3),
                matched=tokens[start:end],
                contradicted=bool(reasons),
                matched_on=source,
                tokens=tokens,
                rule=rule.pattern,
                reasons=reasons,
            )


_Hits = tuple[tuple[nr.NameRule, tuple[tuple[int, int], ...]], ...]


# NOTE: which rules match where depends on the tokens alone (not the policy, datatype or
# context, which only filter the hits), and a run meets the same few names again and again:
# on the corpus, 7.3k names to match have 1.5k distinct token tuples (issue 2, scan speed).
# Bounded, keyed by a name's tokens, never by a value.
@functools.lru_cache(maxsize=4096)
def _rule_hits(tokens: tuple[str, ...]) -> _Hits:
    """Every rule that matches ``tokens``, in rule order, with the token span of each match.

    Only the rules that can start with one of the tokens are tried (:mod:`.rule_index`).
    """
    joined = " ".join(tokens)
    hits: list[tuple[nr.NameRule, tuple[tuple[int, int], ...]]] = []
    for position in rule_index.candidates(_rules_by_first_token(), tokens):
        rule = nr.RULES[position]
        spans = tuple(_spans(rule, joined))
        if spans:
            hits.append((rule, spans))
    return tuple(hits)


def _spans(rule: nr.NameRule, joined: str) -> Iterator[tuple[int, int]]:
    """Token index ranges ``[start, end)`` of the rule's matches in the joined tokens."""
    for found in rule.regex.finditer(joined):
        start = joined.count(" ", 0, found.start())
        yield start, start + found.group(0).count(" ") + 1


# NOTE: built once, on first use (~3 ms), from the built-in rules only: a constant, not a
# setting. Policy patterns are matched apart (_user_matches).
@functools.cache
def _rules_by_first_token() -> rule_index.RuleIndex:
    return rule_index.index([rule.pattern for rule in nr.RULES])


def index_rules() -> None:
    """Build now the rule index :func:`classify_name` builds on its first name (~3 ms)."""
    _rules_by_first_token()


def _assess(
    rule: nr.NameRule, tokens: tuple[str, ...], start: int, end: int, kind: str
) -> tuple[float, tuple[str, ...]] | None:
    """Score of one rule match and the reasons it was capped; None when the rule does not apply."""
    before = tokens[:start]
    if rule.leading_only is not None and any(t not in rule.leading_only for t in before):
        return None
    if before and before[-1] in rule.not_after:
        return None
    profile = nr.PROFILES[rule.pii_type]
    caps = [
        *_leading_caps(before),
        *_trailing_caps(tokens[end:], profile),
        *_type_caps(profile, kind),
    ]
    score = rule.score
    if profile.wants_date and kind == "date":
        score = min(1.0, score + _DATE_BONUS)
    for cap, _ in caps:
        score = min(score, cap)
    return score, tuple(reason for _, reason in caps)


def _leading_caps(before: tuple[str, ...]) -> Iterator[tuple[float, str]]:
    if before and before[0] in nr.FIRST_CAPS:
        yield _CAP_AROUND, f"'{before[0]}' starts the name"
    for token in before:
        if token in nr.LEADING_CAPS:
            yield _CAP_AROUND, f"'{token}' before the match"
            return


def _trailing_caps(after: Iterable[str], profile: nr.TypeProfile) -> Iterator[tuple[float, str]]:
    for token in after:
        if token in nr.NEUTRAL or token in profile.keep:
            continue
        if token.isdigit():
            if not profile.numbered:
                yield _CAP_AROUND, "a number after the match"
            continue
        if (profile.identifier and token in nr.ID_WORDS) or (
            profile.dated and token in nr.TIME_WORDS
        ):
            continue
        if token in nr.DESCRIPTORS or token in nr.ID_WORDS or token in nr.TIME_WORDS:
            yield _CAP_AROUND, f"'{token}' after the match"
        else:
            yield _CAP_UNEXPECTED, f"unexpected '{token}' after the match"


def _type_caps(profile: nr.TypeProfile, kind: str) -> Iterator[tuple[float, str]]:
    if kind == "boolean" and not profile.attribute:
        yield _CAP_BOOLEAN, "boolean datatype"
    elif kind == "number" and (profile.text_only or profile.wants_date):
        yield _CAP_NUMERIC, "numeric datatype"
