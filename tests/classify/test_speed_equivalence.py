"""Speed work on the classifier must not change a single verdict (issue 2, parse speed).

The verdicts of the classifier as it stood before the speed work are pinned in
``data/speed_golden.tsv``, section by section:

* ``names``: every labelled name of ``data/column_names.tsv`` under four data-source captions
  (the full :class:`NameMatch`, including matches below the threshold, and the column verdict);
* ``random_names``: names built from the rules' own vocabulary with random separators, case and
  context, so that every rule, cap and context word is exercised in unusual combinations;
* ``labelled_values``: every column of ``benchmarks/labelled_columns.py`` with its values;
* ``values``: a deterministic set of tricky single values (phone-like strings of many shapes,
  decimals, ids, dates, e-mails, ...) under several datatypes, plus the phone validator's answer
  in three regions;
* ``corpus_names`` (corpus): every column of ``../shared/corpus/files``, name-only, as
  ``<hash of the column's inputs> <hash of its verdict>`` so that the file stays small and a
  parser change that adds or renames columns does not make the section meaningless.

The synthetic values are fictitious; no sampled value is stored. Regenerate a section only when
a verdict change is intended (and say so in the commit)::

    .venv/bin/python -m tests.classify.test_speed_equivalence --write [SECTION ...]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import random
import string
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from tableau_audit.classify import name_rules as nr
from tableau_audit.classify import validators
from tableau_audit.classify.columns import classify_column
from tableau_audit.classify.names import NameMatch, classify_name
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import ColumnClassification
from tableau_audit.classify.values import ValueEvidence, evaluate_values

GOLDEN = Path(__file__).parent / "data" / "speed_golden.tsv"
NAMES = Path(__file__).parent / "data" / "column_names.tsv"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "files"
POLICY = Policy()
TODAY = dt.date(2026, 5, 17)
"""Fixed, so that the date-of-birth age window does not move under the pinned verdicts."""
SEED = 20260601
CONTEXTS = ("", "Employees", "Arrests (Police)", "Orders")
"""Data-source captions: none, a person context, a criminal context, a neutral one."""
MIN_CORPUS_SEEN = 0.9
"""Share of the pinned corpus columns that must still exist for the section to mean anything."""


# --- encodings ------------------------------------------------------------------------------


def _json(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def encode_verdict(verdict: ColumnClassification | None) -> str:
    """A column verdict as one line: type, tier, confidence, counts, exemplars and signals."""
    if verdict is None:
        return "-"
    return _json(
        {
            "type": verdict.pii_type.value,
            "tier": verdict.tier.label,
            "confidence": round(verdict.confidence, 3),
            "name_only": verdict.name_only,
            "sampled": verdict.sample_size,
            "matched": verdict.match_count,
            "exemplars": verdict.exemplars,
            "signals": verdict.signals,
        }
    )


def encode_match(match: NameMatch | None) -> str:
    """A name match as one ``|``-separated line, including a capped match's reasons."""
    if match is None:
        return "-"
    fields = (
        match.pii_type.value,
        match.tier.label,
        f"{match.score:.3f}",
        " ".join(match.matched),
        "capped" if match.contradicted else "",
        match.matched_on,
        " ".join(match.tokens),
        match.rule,
        "; ".join(match.reasons),
    )
    return "|".join(fields)


def encode_evidence(evidence: ValueEvidence) -> str:
    """The value evidence of a (one-value) column: per type counts, detectors and exemplars."""
    parts = [] if evidence.sample_size == 1 else [f"n={evidence.sample_size}"]
    for found in evidence.types:
        detectors = ",".join(f"{d.value}={k}" for d, k in found.detectors)
        parts.append(
            f"{found.pii_type.value}:{found.matched}/{found.strong}/{found.distinct}"
            f"[{detectors}]{list(found.exemplars) if found.exemplars else ''}"
        )
    ft = evidence.free_text
    if ft is not None:
        by_type = ",".join(f"{t.value}={k}" for t, k in ft.by_type)
        parts.append(f"free_text:{ft.rows}/{ft.pii_rows}[{by_type}]")
    return " ".join(parts) or "-"


def _escape(text: str) -> str:
    """Keys stay on one line and one column whatever the name or value holds."""
    return json.dumps(text, ensure_ascii=True)


def _digest(text: str, size: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:size]


# --- sections -------------------------------------------------------------------------------


def _labelled_names() -> list[tuple[str, str, str]]:
    with NAMES.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader((line for line in handle if not line.startswith("#")), delimiter="\t")
        next(rows)
        return [(row[0], row[1], row[2]) for row in rows]


def names_lines() -> Iterator[str]:
    """Every labelled name under every context (``=`` when the same as without a context): the
    best match and a digest of the column verdict."""
    for name, caption, datatype in _labelled_names():
        found: list[str] = []
        for context in CONTEXTS:
            match = classify_name(
                name=name, caption=caption, datatype=datatype, policy=POLICY, context=context
            )
            verdict = classify_column(
                datasource_caption=context,
                name=name,
                remote_name=name,
                caption=caption,
                datatype=datatype,
                values=None,
                policy=POLICY,
            )
            line = f"{encode_match(match)}\t{_digest(encode_verdict(verdict), 8)}"
            found.append("=" if found and line == found[0] else line)
        yield "\t".join((_escape(f"{name}|{caption}|{datatype}"), *found))


def _vocabulary() -> list[str]:
    words: set[str] = set()
    for rule in nr.RULES:
        words.update(w for w in rule.pattern.replace("(", " ").replace(")", " ").split() if w)
    for profile in nr.PROFILES.values():
        words.update(profile.keep)
    words.update(nr.ABBREVIATIONS)
    for group in (nr.NEUTRAL, nr.DESCRIPTORS, nr.TIME_WORDS, nr.ID_WORDS, nr.LEADING_CAPS):
        words.update(group)
    words.update(nr.PERSON_CONTEXT | nr.CRIMINAL_CONTEXT | nr.NON_POSTAL_ADDRESS)
    words.update(nr.FIRST_CAPS | nr.NUMBER_WORDS | nr.NON_BIOMETRIC_PRINT | nr.FREE_TEXT_LEAD)
    words.update(("order", "total", "2", "10", "x", "sales", "product", "region"))
    # Pattern fragments such as `names?` or `diagnos\w*` become their plain stems.
    return sorted({w.strip("?*|\\w") for w in words if w.strip("?*|\\w").isalnum()})


def _random_name(rng: random.Random, vocabulary: Sequence[str]) -> str:
    picked = [rng.choice(vocabulary) for _ in range(rng.randint(1, 4))]
    style = rng.randrange(5)
    if style == 0:
        return "_".join(picked)
    if style == 1:
        return picked[0] + "".join(w.capitalize() for w in picked[1:])
    if style == 2:
        return " ".join(w.capitalize() for w in picked)
    if style == 3:
        return "".join(picked)
    return "-".join(w.upper() for w in picked) + rng.choice(("", " #1", " (users)", "2"))


def random_names_lines(count: int = 1200) -> Iterator[str]:
    """Names from the rules' own words: the best match under a random datatype and context."""
    rng = random.Random(SEED)
    vocabulary = _vocabulary()
    datatypes = ("string", "integer", "real", "boolean", "date", "datetime", "")
    for _ in range(count):
        name = _random_name(rng, vocabulary)
        remote = _random_name(rng, vocabulary) if rng.random() < 0.3 else name
        caption = _random_name(rng, vocabulary) if rng.random() < 0.3 else ""
        datatype = rng.choice(datatypes)
        context = rng.choice((*CONTEXTS, _random_name(rng, vocabulary)))
        match = classify_name(
            name=name,
            remote_name=remote,
            caption=caption,
            datatype=datatype,
            policy=POLICY,
            context=context,
        )
        key = _escape(f"{name}|{remote}|{caption}|{datatype}|{context}")
        yield f"{key}\t{encode_match(match)}"


def labelled_values_lines() -> Iterator[str]:
    """Every labelled value column (``benchmarks/labelled_columns.py``) with its values."""
    from benchmarks import labelled_columns as lc

    for col in lc.generate():
        verdict = classify_column(
            datasource_caption="Labelled",
            name=col.name,
            remote_name=col.name,
            caption="",
            datatype=col.datatype,
            values=col.values,
            policy=POLICY,
        )
        yield f"{_escape(f'{col.group}|{col.name}|{col.datatype}')}\t{encode_verdict(verdict)}"


def values_lines() -> Iterator[str]:
    """Each tricky value alone, under each datatype it could come with (``=`` when the same as
    under ``string``), then the phone validator's answer in three regions."""
    for value in tricky_values():
        stripped = value.strip()
        datatypes = ["string"]
        if stripped.isdigit():
            datatypes.append("integer")
        if stripped.replace(".", "", 1).isdigit():
            datatypes.append("real")
        if stripped[:1].isdigit():
            datatypes.append("date")
        found = [
            encode_evidence(evaluate_values([value], datatype=d, today=TODAY)) for d in datatypes
        ]
        typed = " ".join(
            f"{d}:{'=' if e == found[0] else e}"
            for d, e in zip(datatypes[1:], found[1:], strict=True)
        )
        phones = " ".join(str(validators.phone(stripped, r))[0] for r in ("US", "CA", "GB"))
        yield "\t".join(x for x in (_escape(value), found[0], typed, phones) if x)
    for i, column in enumerate(prose_columns()):
        evidence = evaluate_values(column, datatype="string", today=TODAY)
        yield f"prose-{i}\t{encode_evidence(evidence)}"


def corpus_names_lines() -> Iterator[str]:
    """Every distinct corpus column (name-only): hash of its inputs, hash of its verdict."""
    from tableau_audit.errors import ParseError
    from tableau_audit.parsing import load_file

    seen: set[str] = set()
    for path in sorted(CORPUS.iterdir()):
        if path.name == "MANIFEST.tsv":
            continue
        try:
            workbook = load_file(path, display=path.name)
        except ParseError:
            continue
        for ds in workbook.datasources:
            for col in ds.columns:
                inputs = (ds.caption, col.name, col.remote_name, col.caption, col.datatype)
                key = _digest(_json(inputs), 12)
                if key in seen:
                    continue
                seen.add(key)
                verdict = classify_column(
                    datasource_caption=ds.caption,
                    name=col.name,
                    remote_name=col.remote_name,
                    caption=col.caption,
                    datatype=col.datatype,
                    values=None,
                    policy=POLICY,
                )
                yield f"{key}\t{_digest(encode_verdict(verdict), 8)}"


SECTIONS: dict[str, Callable[[], Iterator[str]]] = {
    "names": names_lines,
    "random_names": random_names_lines,
    "labelled_values": labelled_values_lines,
    "values": values_lines,
    "corpus_names": corpus_names_lines,
}


# --- tricky values --------------------------------------------------------------------------

_PHONE_PREFIXES = (
    "", "", "", "1", "11", "111", "0", "00", "01", "011", "0011", "001", "3", "31", "310", "1310",
    "11310", "+1", "+1 ", "+44", "+44 ", "+", "+0", "+33", "+49", "+91", "(", "1-", "1 (", "9",
)  # fmt: skip
_AREA_CODES = ("201", "212", "310", "415", "416", "604", "787", "876", "242", "800", "900", "555")
_SEPARATORS = ("", "", " ", "-", ".", "/", "  ", " - ", "\t")
_EXTENSIONS = ("", "", "", "", " x12", "x7", " ext. 123", " ext 5", " #5", "#12", " X 9")


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _grouped(rng: random.Random, digits: str) -> str:
    """Digits split into random groups with one (or mixed) separators, maybe in brackets."""
    out: list[str] = []
    i = 0
    sep = rng.choice(_SEPARATORS)
    while i < len(digits):
        size = rng.randint(2, 4)
        out.append(digits[i : i + size])
        i += size
    if len(out) > 1 and rng.random() < 0.25:
        out[0] = f"({out[0]})"
    if rng.random() < 0.15:
        return "".join(group + rng.choice(_SEPARATORS) for group in out).strip()
    return sep.join(out)


def _phone_like(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:  # a NANP-shaped number with a real or special area code
        body = rng.choice(_AREA_CODES) + rng.choice("23456789") + _digits(rng, 6)
    elif kind == 1:  # a 7-digit local number (Canada's 310-xxxx is valid)
        body = rng.choice(("310", "311", "3", "2", "5")) + _digits(rng, 4)
        body = body[:7].ljust(7, "0")
    else:
        body = _digits(rng, rng.randint(5, 17))
    text = rng.choice(_PHONE_PREFIXES) + (body if rng.random() < 0.4 else _grouped(rng, body))
    return text + rng.choice(_EXTENSIONS)


def _decimal(rng: random.Random) -> str:
    whole = _digits(rng, rng.randint(1, 12)).lstrip("0") or "0"
    return f"{whole}.{_digits(rng, rng.randint(1, 9))}"


def _luhn_completed(payload: str) -> str:
    for check in string.digits:
        if validators.luhn_ok(payload + check):
            return payload + check
    raise AssertionError("unreachable: one check digit always completes a Luhn number")


def _identifier(rng: random.Random) -> str:
    kind = rng.randrange(8)
    if kind == 0:
        sep = rng.choice(("-", " ", ".", ""))
        return sep.join((_digits(rng, 3), _digits(rng, 2), _digits(rng, 4)))
    if kind == 1:
        sin = _luhn_completed(rng.choice("1245679") + _digits(rng, 7))
        return rng.choice(("-", " ", "")).join((sin[:3], sin[3:6], sin[6:]))
    if kind == 2:
        number = _luhn_completed(
            rng.choice(("4", "51", "37", "6011", "36", "62")) + _digits(rng, 12)
        )
        return rng.choice(("", " ", "-")).join(number[i : i + 4] for i in range(0, len(number), 4))
    if kind == 3:
        return _luhn_completed("80840" + rng.choice("12") + _digits(rng, 8))[5:]
    if kind == 4:
        return _digits(rng, rng.choice((9, 10, 13, 16)))
    if kind == 5:
        return rng.choice(("AB", "QQ", "ZZ", "CE")) + _digits(rng, 6) + rng.choice("ABCDE")
    if kind == 6:
        return "GB" + _digits(rng, 2) + "NWBK" + _digits(rng, 14)
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(17))


def _date_like(rng: random.Random) -> str:
    year = rng.choice((1890, 1906, 1907, 1950, 1985, 2000, 2024, 2026, 2027, 2099))
    month, day = rng.randint(1, 13), rng.randint(1, 31)
    return rng.choice(
        (
            f"{year}-{month:02d}-{day:02d}",
            f"{year}-{month:02d}-{day:02d} 12:30:00",
            f"{year}-{month:02d}-{day:02d}T08:00:00Z",
            f"{month}/{day}/{year}",
            f"{day}.{month}.{year}",
            f"{year}{month:02d}{day:02d}",
            f"{month}-{day}-{year % 100:02d}",
        )
    )


_FIXED = (
    "4155552671", "(415) 555-2671", "+1 415 555 2671", "1-415-555-2671", "14155552671",
    "114155552671", "011 44 20 7946 0958", "+44 20 7946 0958", "020 7946 0958", "3101234",
    "310-1234", "13101234", "2345678", "555-1234", "1-800-FLOWERS", "555-CALL-NOW",
    "\u0664\u0661\u0665\u0665\u0665\u0665\u0662\u0666\u0667\u0661", "\uff14\uff11\uff15\uff15"
    "\uff15\uff15\uff12\uff16\uff17\uff11", "415\u00a0555\u00a02671", "415.555.2671",
    "415.5552671", "4155552671.0", "4155552671.00", "37.7749295", "-122.4194155", "0.0001",
    "1e10", "1,234.56", "123456789.00", "123-45-6789", "078-05-1120", "219-09-9999",
    "987-65-4320", "900-70-1234", "046 454 286", "4111 1111 1111 1111", "4111-1111-1111-1111",
    "4111111111111111", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000",
    "AB 12 34 56 C", "1HGCM82633A004352", "192.168.0.1", "0.0.0.0", "::", "2001:db8::1",
    "00:1A:2B:3C:4D:5E", "001a.2b3c.4d5e", "jane.doe@example.org", "JANE@EXAMPLE.COM",
    "a..b@example.com", "x@example.invalid", "x@localhost", "John Smith", "JOHN SMITH",
    "Mary-Jane O'Neil", "Ludwig van Beethoven", "Smith, John", "Acme Holdings Ltd", "Consumer",
    "J. R. Tolkien", "1985-03-12", "03/12/1985", "12.03.1985", "19850312", "2099-01-01",
    "1234567890123456789", "0000000000", "1111111111", "12", "7", "", "  ", "true", "N/A",
    "+", "++1 415 555 2671", "tel:+1-415-555-2671", "415 555 2671 / 415 555 2672",
)  # fmt: skip


def tricky_values(count: int = 2500) -> list[str]:
    """The fixed cases above, then ``count`` seeded random phone-like, decimal, id and date
    values (phone-like shapes weighted most: the phone validator is the hot path)."""
    rng = random.Random(SEED)
    makers = (_phone_like, _phone_like, _phone_like, _decimal, _identifier, _date_like)
    out = [v for v in _FIXED if v.strip()]
    out += [rng.choice(makers)(rng) for _ in range(count)]
    return list(dict.fromkeys(out))


def prose_columns() -> list[list[str]]:
    """A few columns of notes, some of whose rows carry an e-mail, phone, SSN or card."""
    rng = random.Random(SEED + 1)
    words = ("customer", "called", "about", "the", "order", "again", "please", "follow", "up")
    inserts = ("jane.doe@example.org", "(415) 555-2671", "123-45-6788", "4111 1111 1111 1111", "")
    columns: list[list[str]] = []
    for _ in range(4):
        rows = []
        for _ in range(30):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 14)))
            rows.append(f"{text} {rng.choice(inserts)}".strip())
        columns.append(rows)
    return columns


# --- golden file ----------------------------------------------------------------------------


def read_golden() -> dict[str, list[str]]:
    """The pinned lines per section."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in GOLDEN.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:], [])
        elif current is not None and line:
            current.append(line)
    return sections


def write_golden(names: Sequence[str]) -> None:
    """Recompute the given sections and rewrite the golden file."""
    sections = read_golden() if GOLDEN.exists() else {}
    for name in names:
        sections[name] = list(SECTIONS[name]())
    body = "".join(
        f"## {name}\n" + "".join(f"{line}\n" for line in sections[name])
        for name in SECTIONS
        if name in sections
    )
    GOLDEN.write_text(body, encoding="utf-8")


def _assert_same(section: str, lines: Sequence[str]) -> None:
    pinned = read_golden()[section]
    now, before = set(lines), set(pinned)
    missing = [line for line in pinned if line not in now]
    extra = [line for line in lines if line not in before]
    assert (missing[:5], extra[:5]) == ([], []), f"{section}: verdicts changed"
    assert list(lines) == pinned


@pytest.mark.parametrize("section", ["names", "random_names", "labelled_values", "values"])
def test_verdicts_unchanged(section: str) -> None:
    _assert_same(section, list(SECTIONS[section]()))


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_corpus_name_verdicts_unchanged() -> None:
    pinned = dict(line.split("\t") for line in read_golden()["corpus_names"])
    current = dict(line.split("\t") for line in corpus_names_lines())
    common = pinned.keys() & current.keys()
    assert len(common) >= MIN_CORPUS_SEEN * len(pinned), "corpus columns changed: regenerate"
    changed = sorted(k for k in common if pinned[k] != current[k])
    assert changed == []


def main(argv: Sequence[str] | None = None) -> int:
    """``--write SECTION ...``: regenerate the named sections (only for an intended change)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", nargs="+", choices=sorted(SECTIONS), metavar="SECTION")
    args = parser.parse_args(argv)
    if args.write is None:
        parser.print_usage()
        return 2
    write_golden(args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
