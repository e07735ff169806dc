"""Secrets stored in connection attributes, custom SQL and formulas (TA301, TA303).

Two entry points: :func:`scan_attribute` knows what each Tableau connection attribute holds
(tableau-format.md §5, §14): a non-empty ``password``, a MapBox ``api-key``, ``access_token=`` in a
map URL, ``PWD=`` in ODBC extras or JDBC properties, credentials in initial SQL or a query band.
:func:`scan_text` looks for credentials written into SQL or formula text. Both also recognise the
shape of well-known tokens anywhere (AWS, GitHub, Google, Slack, JWT, PEM private keys, MapBox).

A :class:`SecretMatch` holds the kind and a masked form only. :func:`mask_secret` shows at most a
three-character kind prefix (``pk.``) of a recognised token, and the length; nothing of a password.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tableau_audit.records import frozen

__all__ = ["SecretMatch", "mask_secret", "scan_attribute", "scan_text"]


@frozen
class SecretMatch:
    """A secret found in a file: what kind it is and a masked form. Never the secret itself."""

    kind: str
    """``password``, ``api-key``, ``access-token``, ``connection-string-password``, ``jwt``, ..."""
    masked: str
    """Output of :func:`mask_secret`."""


@dataclass(frozen=True, slots=True)
class _Hit:
    kind: str
    start: int
    end: int
    attribute_level: bool = False


# NOTE: every shape starts with a negative lookbehind on its own alphabet and has bounded
# repetitions. Python 3.10 has no possessive quantifiers, and a plain ``\b`` would let a match be
# retried at every boundary of a long run (``eyJ-eyJ-eyJ-…``): quadratic time on hostile input.
_B64 = "[A-Za-z0-9_-]"
_JWT_BODY = rf"eyJ{_B64}{{1,4096}}\.{_B64}{{1,4096}}"
_TOKEN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mapbox-token", re.compile(rf"(?<![\w.-])(?:pk|sk|tk)\.{_JWT_BODY}")),
    ("aws-access-key", re.compile(r"(?<![0-9A-Za-z])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])")),
    (
        "github-token",
        re.compile(r"(?<!\w)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_\w{22,255})(?!\w)"),
    ),
    ("google-api-key", re.compile(rf"(?<!{_B64})AIza{_B64}{{35}}(?!{_B64})")),
    ("slack-token", re.compile(r"(?<![0-9A-Za-z-])xox[abposr]-[0-9A-Za-z-]{10,255}")),
    ("jwt", re.compile(rf"(?<![\w.-]){_JWT_BODY}\.{_B64}{{1,4096}}")),
)
"""Token shapes recognised anywhere (pii-detection.md §3, detect-secrets' plugins)."""
_SHAPE_MARKERS: dict[str, tuple[str, ...]] = {
    "mapbox-token": ("eyJ",),
    "aws-access-key": ("AKIA", "ASIA"),
    "github-token": ("gh", "github_pat_"),
    "google-api-key": ("AIza",),
    "slack-token": ("xox",),
    "jwt": ("eyJ",),
}
"""A literal each shape contains: when none is in the text, the shape cannot match."""
_PEM_BEGIN = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----")

_KIND_PREFIXES: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"(?:pk|sk|tk)\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), 3),
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{36,255}"), 3),
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), 3),
    (re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}"), 3),
    (re.compile(r"AIza[0-9A-Za-z_-]{35}"), 3),
    (re.compile(r"xox[abposr]-[0-9A-Za-z-]{10,}"), 3),
)
"""Whole-value shapes whose first three characters name the kind and reveal nothing else."""

_LOGIN_KEYS = r"pwd|password|passwd|pass"
_NAMED_CREDENTIAL_KEYS = (
    r"access_?token|auth_?token|client_?secret|api_?key|apikey|access_?key|secret_?key|private_?key"
)
_LOOSE_CREDENTIAL_KEYS = rf"{_NAMED_CREDENTIAL_KEYS}|token|secret|sas|sig|signature|key"


def _key_value(keys: str, boundary: str) -> re.Pattern[str]:
    return re.compile(
        rf"(?:^|(?<=[{boundary}]))(?P<key>{keys})\s*=\s*"
        r"(?P<value>\{[^}]*\}|\"[^\"]*\"|'[^']*'|[^;&\s'\"]+)",
        re.IGNORECASE,
    )


_KEY_VALUE_LOOSE = _key_value(rf"{_LOGIN_KEYS}|{_LOOSE_CREDENTIAL_KEYS}", r";&?\s")
"""In a connection string or URL every ``key=value`` pair is a setting, so generic names count."""
_KEY_VALUE_TEXT = _key_value(rf"{_LOGIN_KEYS}|{_NAMED_CREDENTIAL_KEYS}", r";&?'\"")
"""In SQL or a formula, a pair counts only inside a connection-string literal (after ``;`` or a
quote): ``WHERE password=hash_col`` and ``WHERE key=5`` compare columns."""
_URL_USERINFO = re.compile(
    r"(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,31}://[^/\s:@'\"]{1,256}:(?P<value>[^/\s@'\"]{1,256})@",
    re.I,
)
_SQL_PASSWORD = re.compile(
    r"\b(?:password|passwd|pwd)\]?(?:\s*(?:=|:=|==)\s*|\s+)(?P<q>['\"])(?P<value>[^'\"]{1,512})(?P=q)",
    re.I,
)
_SQL_IDENTIFIED_BY = re.compile(
    r"\bidentified\s+by\s+(?:(?P<q>['\"])(?P<value>[^'\"]{1,512})(?P=q)|(?P<bare>(?!values\b)\w{1,512}))",
    re.I,
)
_SQL_LITERAL = re.compile(r"'(?P<body>[^']{1,4096})'")
_SETTING = re.compile(r"(?:^|\s|;)[A-Za-z_][\w.-]{0,63}\s*=\s*[^\s;=]")
_PLACEHOLDER = re.compile(r"^(?:\$\{?\w*\}?|%\(?\w*\)?s?|\{\w*\}|<[^>]*>|\?|\*+|x+|:\w+)$", re.I)

# NOTE: keyword gates. Each credential pattern needs literal text to match: its ``=``, ``://``
# or ``@`` and, case-insensitively, a key word. When the text lacks them the pattern is skipped,
# with the same hits; most SQL and formula texts hold none. ``re.IGNORECASE`` also matches four
# non-ASCII letters with ASCII ones (U+0130, U+0131, U+017F, U+212A): :func:`_fold` maps them
# first, so a text the pattern matches always passes its gate.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_SQL_PASSWORD_WORDS = ("pass", "pwd")
"""``password``, ``passwd``, ``pwd`` (:data:`_SQL_PASSWORD`)."""
_TEXT_KEY_WORDS = ("pass", "pwd", "token", "secret", "key")
"""What every key of :data:`_KEY_VALUE_TEXT` contains."""
_LOOSE_KEY_WORDS = (*_TEXT_KEY_WORDS, "sas", "sig")
"""What every key of :data:`_KEY_VALUE_LOOSE` contains."""


def _fold(text: str) -> str:
    """Lower case for the keyword gates: a letter ``re.IGNORECASE`` equates with ``a``-``z``
    becomes that ASCII letter."""
    return text.lower() if text.isascii() else text.translate(_FOLD).lower()


def _has_word(folded: str, words: tuple[str, ...]) -> bool:
    return any(word in folded for word in words)


_PASSWORD_ATTRIBUTES = frozenset({"password"})
_KEY_ATTRIBUTES = frozenset({"api-key", "apikey", "api_key"})
_CONNECTION_STRING_ATTRIBUTES = frozenset(
    {"odbc-connect-string-extras", "jdbcurl", "jdbcproperties", "odbc-extras", "connection-string"}
)
_SQL_ATTRIBUTES = frozenset({"one-time-sql", "query-band-spec", "initial-sql"})


def mask_secret(value: str) -> str:
    """``***`` plus the length; a recognised token keeps its three-character kind prefix.

    ``pk.eyJ1Ijoi…`` → ``pk.***(84 chars)``; ``hunter2`` → ``***(7 chars)``. The prefix is shown
    only when the whole value has a known token shape, so a password that merely starts like a
    token reveals nothing.
    """
    if not value:
        return ""
    shown = next((value[:n] for shape, n in _KIND_PREFIXES if shape.fullmatch(value)), "")
    return f"{shown}***({len(value)} chars)"


def scan_attribute(attribute: str, value: str) -> tuple[SecretMatch, ...]:
    """Secrets in one attribute of a ``connection`` element, knowing what the attribute holds."""
    name = attribute.strip().lower()
    if not value.strip():
        return ()
    hits: list[_Hit] = []
    if name in _PASSWORD_ATTRIBUTES:
        hits.append(_Hit("password", 0, len(value), attribute_level=True))
    elif name in _KEY_ATTRIBUTES:
        hits.append(_Hit("api-key", 0, len(value), attribute_level=True))
    elif name in _CONNECTION_STRING_ATTRIBUTES:
        folded = _fold(value)
        hits.extend(_key_values(value, folded, login_kind="connection-string-password"))
        hits.extend(_url_userinfo(value, kind="connection-string-password"))
    elif name in _SQL_ATTRIBUTES:
        folded = _fold(value)
        hits.extend(_sql_credentials(value, folded))
        loose = name != "one-time-sql"
        hits.extend(_key_values(value, folded, login_kind="sql-credential", loose=loose))
    elif "=" in value and ("://" in value or "?" in value or "&" in value):
        hits.extend(_key_values(value, _fold(value), login_kind="url-password"))
        hits.extend(_url_userinfo(value, kind="url-password"))
    hits.extend(_token_shapes(value))
    return _matches(value, hits)


def scan_text(text: str) -> tuple[SecretMatch, ...]:
    """Credentials and token shapes written into custom SQL, initial SQL or a formula."""
    if not text.strip():
        return ()
    folded = _fold(text)
    hits = [
        *_sql_credentials(text, folded),
        *_key_values(text, folded, login_kind="sql-credential", loose=False),
        *_url_userinfo(text, kind="url-password"),
        *_token_shapes(text),
    ]
    return _matches(text, hits)


def _matches(text: str, hits: Iterable[_Hit]) -> tuple[SecretMatch, ...]:
    """Masked matches in text order; a token inside an already-reported secret is not repeated."""
    every = list(hits)
    # An attribute-level hit is the whole value: nothing inside it is reported again.
    kept = [hit for hit in every if hit.attribute_level][:1]
    reach = kept[0].end if kept else 0
    for hit in sorted(every, key=lambda h: (h.start, -(h.end - h.start))):
        if hit.attribute_level or hit.start < reach:
            continue
        kept.append(hit)
        reach = hit.end
    return tuple(SecretMatch(kind=h.kind, masked=mask_secret(text[h.start : h.end])) for h in kept)


def _token_shapes(text: str) -> Iterator[_Hit]:
    for kind, shape in _TOKEN_SHAPES:
        # NOTE: every shape contains a fixed marker; testing for it first skips the regex (and
        # its look-behind) on the vast majority of attributes and SQL texts, with the same hits.
        if any(marker in text for marker in _SHAPE_MARKERS[kind]):
            for found in shape.finditer(text):
                yield _Hit(kind, found.start(), found.end())
    if "PRIVATE KEY" in text:
        yield from _private_keys(text)


def _private_keys(text: str) -> Iterator[_Hit]:
    """A PEM private key: from its BEGIN line to the matching END line, or the BEGIN line alone."""
    ends = [found.end() for found in _PEM_END.finditer(text)]
    for found in _PEM_BEGIN.finditer(text):
        end = bisect.bisect_left(ends, found.end())
        yield _Hit("private-key", found.start(), ends[end] if end < len(ends) else found.end())


def _key_values(text: str, folded: str, *, login_kind: str, loose: bool = True) -> Iterator[_Hit]:
    """``PWD=…;``, ``access_token=…&``, ``password={…}`` pairs whose value is not a placeholder.

    ``folded`` is :func:`_fold` of ``text`` (or of a text containing it), for the keyword gate.
    """
    if "=" not in text or not _has_word(folded, _LOOSE_KEY_WORDS if loose else _TEXT_KEY_WORDS):
        return
    pattern = _KEY_VALUE_LOOSE if loose else _KEY_VALUE_TEXT
    for found in pattern.finditer(text):
        start, end = _unquoted_span(found, "value")
        if not _is_real(text[start:end]):
            continue
        key = found.group("key").lower()
        if re.fullmatch(_LOGIN_KEYS, key):
            kind = login_kind
        elif "token" in key:
            kind = "access-token"
        elif "key" in key:
            kind = "api-key"
        else:
            kind = "client-secret"
        yield _Hit(kind, start, end)


def _url_userinfo(text: str, *, kind: str) -> Iterator[_Hit]:
    if "://" not in text or "@" not in text:
        return
    for found in _URL_USERINFO.finditer(text):
        if _is_real(found.group("value")):
            yield _Hit(kind, found.start("value"), found.end("value"))


def _sql_credentials(text: str, folded: str) -> Iterator[_Hit]:
    """``PASSWORD 'x'``, ``password = 'x'``, ``IDENTIFIED BY 'x'`` (quoted literals only, or a bare
    Oracle identifier after IDENTIFIED BY): a comparison with a column is not a credential.

    ``folded`` is :func:`_fold` of ``text``, for the keyword gates."""
    patterns = (
        *((_SQL_PASSWORD,) if _has_word(folded, _SQL_PASSWORD_WORDS) else ()),
        *((_SQL_IDENTIFIED_BY,) if "identified" in folded else ()),
    )
    for pattern in patterns:
        for found in pattern.finditer(text):
            group = "value" if found.group("value") is not None else "bare"
            if _is_real(found.group(group)):
                yield _Hit("sql-credential", found.start(group), found.end(group))
    yield from _conninfo_literals(text, folded)


def _conninfo_literals(text: str, folded: str) -> Iterator[_Hit]:
    """A string literal that is itself a connection string (libpq conninfo, ODBC, JDBC props):
    ``dblink_connect('host=db user=x password=y')``. Inside such a literal, space-separated
    ``key=value`` pairs are settings, so a password among them is a credential."""
    if "'" not in text or "=" not in text or not _has_word(folded, _LOOSE_KEY_WORDS):
        return
    for literal in _SQL_LITERAL.finditer(text):
        body = literal.group("body")
        if len(_SETTING.findall(body)) < 2:
            continue
        offset = literal.start("body")
        for hit in _key_values(body, folded, login_kind="sql-credential"):
            yield _Hit(hit.kind, hit.start + offset, hit.end + offset)


def _unquoted_span(found: re.Match[str], group: str) -> tuple[int, int]:
    start, end = found.span(group)
    if end - start >= 2 and found.group(group)[0] in "{'\"":
        return start + 1, end - 1
    return start, end


def _is_real(value: str) -> bool:
    """False for empty values and placeholders (``?``, ``${DB_PASS}``, ``<password>``, ``****``)."""
    stripped = value.strip()
    return bool(stripped) and not _PLACEHOLDER.match(stripped)
