"""Privacy canary (issue 3 acceptance): planted extract values appear in no output at all.

A .twbx and a standalone .hyper carry unique canary values of every personal-data type the
classifier knows by value (SSN, card, e-mail, phone, names, date of birth, IBAN, IP address, free
text with an embedded e-mail), one of them in a column the XML does not describe. The CLI scans
them in every report format with ``-vv``, with ``TMPDIR`` pointed at a fresh directory. Then no
canary, and no fragment of one longer than the masks reveal, may appear in a report, in the
captured log (DEBUG, every logger), in a file left in the temp directory, or in the ``repr`` of
the audit result; the temp directory must be empty. The masked exemplars must appear, so that a
report which simply dropped every exemplar would fail too.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from fixtures.samples.catalog import workbook_members
from fixtures.samples.hyperfile import HyperTableData, HyperWriter
from fixtures.samples.package import write_package
from fixtures.samples.spec import (
    Col,
    Conn,
    DatasourceSpec,
    ExtractSpec,
    Sheet,
    Table,
    Use,
    WorkbookSpec,
    base36_id,
    guid,
)
from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit
from tableau_audit.reports import REPORTERS

pytestmark = pytest.mark.hyper

ROWS = 60
SHADOW = "shadow_a"
"""A column only the .hyper holds (not in the XML): its values are canaries too."""

_PREFIXES = ("Zorv", "Quill", "Vexm", "Brambl", "Thorn", "Ockl", "Pryd", "Skarr")
_SUFFIXES = ("athe", "imora", "ellund", "isandre", "oveth", "arquin", "ubrith", "enwyle")
_AREA_CODES = ("415", "646", "312", "617", "206", "303")


@dataclass(frozen=True, slots=True)
class Person:
    """One row of canaries."""

    first: str
    last: str
    email: str
    phone: str
    ssn: str
    shadow_ssn: str
    birth: dt.date
    card: str
    iban: str
    ip: str
    note: str


def _luhn_digit(partial: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _iban(rng: random.Random) -> str:
    bban = "".join(rng.choice("0123456789") for _ in range(18))
    numeric = "".join(str(int(ch, 36)) for ch in bban + "DE00")
    return f"DE{98 - int(numeric) % 97:02d}{bban}"


def _ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(101, 665) if a != 666])
    return f"{area:03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}"


def _people() -> tuple[Person, ...]:
    rng = random.Random(20260517)
    people = []
    names = [(p, s) for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(names)
    for i in range(ROWS):
        first = names[i][0] + names[i][1]
        last = names[-1 - i][0].upper()[0] + (names[-1 - i][0] + names[-1 - i][1])[1:] + "son"
        card = "4" + "".join(rng.choice("0123456789") for _ in range(14))
        mail_box = f"{first.lower()}.{last.lower()}{i}"
        exchange, line = rng.randint(230, 989), rng.randint(1000, 9999)
        people.append(
            Person(
                first=first,
                last=last,
                email=f"{mail_box}@quorblix{i % 3}.org",
                phone=f"({rng.choice(_AREA_CODES)}) {exchange}-{line}",
                ssn=_ssn(rng),
                shadow_ssn=_ssn(rng),
                birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 21_000)),
                card=card + _luhn_digit(card),
                iban=_iban(rng),
                ip=".".join(str(rng.randint(11, 223)) for _ in range(4)),
                note=(
                    f"Spoke with {first} about the Vorpalquent{i} claim; reply to "
                    f"fupq{i}rellick@quorblix{i % 3}.org before Friday"
                ),
            )
        )
    return tuple(people)


PEOPLE = _people()

# -- the canaries: every value, and the fragments that no mask may reveal ---------------------


def _forbidden_strings(p: Person) -> set[str]:
    ssn_digits = p.ssn.replace("-", "")
    shadow_digits = p.shadow_ssn.replace("-", "")
    phone_digits = re.sub(r"\D", "", p.phone)
    local, _, domain = p.email.partition("@")
    strings = {
        p.ssn, ssn_digits, p.ssn[:6], p.ssn[4:],  # AAA-GG and GG-SSSS: masks keep the last 4
        p.shadow_ssn, shadow_digits, p.shadow_ssn[:6], p.shadow_ssn[4:],
        p.email, local, local[:6], domain.split(".")[0],
        p.phone, p.phone[:9], p.phone[6:12], phone_digits[:8],  # (AAA) EEE-LL..: last 2 shown
        p.card[:12], p.iban, p.iban[:-4], p.ip, p.ip.rsplit(".", 1)[0] + ".",
        p.birth.isoformat(), p.birth.strftime("%m/%d/%Y"), p.birth.strftime("%Y%m%d"),
        p.note, f"Vorpalquent{p.note.split('Vorpalquent')[1].split()[0]}",
        p.note.split("reply to ")[1].split()[0],
    }  # fmt: skip
    # Every 8-digit window of the long numbers (a card leaks even as a fragment).
    for number in (p.card, p.iban[4:]):
        strings |= {number[i : i + 8] for i in range(len(number) - 7)}
    return strings


FORBIDDEN = sorted(set().union(*(_forbidden_strings(p) for p in PEOPLE)), key=len, reverse=True)
NAME_TOKENS = sorted({p.first.lower() for p in PEOPLE} | {p.last.lower() for p in PEOPLE})
"""Name tokens are searched case-insensitively (they also hide in e-mail addresses)."""


_HASH = re.compile(r"(?<![0-9a-f])(?=[0-9a-f]*[a-f])[0-9a-f]{32,64}(?![0-9a-f])")
"""Fingerprints and hashes: random hex, where an 8-digit window of a canary can occur by chance.
A run of digits only is never taken for a hash, so a leaked number is still found."""


def leaks(text: str) -> list[str]:
    """Canary strings and fragments found in ``text`` (empty when nothing leaked)."""
    text = _HASH.sub("#", text)
    found = [s for s in FORBIDDEN if s in text]
    folded = text.casefold()
    found += [t for t in NAME_TOKENS if t in folded]
    return found


def test_the_search_finds_every_planted_value() -> None:
    """The detector itself: each value of each row is caught, masks are not."""
    for p in PEOPLE:
        for value in (
            p.first, p.last, p.email, p.phone, p.ssn, p.shadow_ssn, p.card, p.iban, p.ip, p.note,
            p.birth.isoformat(), f"name={p.first.upper()}", p.ssn.replace("-", ""),
        ):  # fmt: skip
            assert leaks(f"xx {value} yy"), value
        masks = (
            f"***-**-{p.ssn[-4:]}",
            f"**** **** **** {p.card[-4:]}",
            f"{p.email[0]}***@q***.org",
        )
        assert leaks(" ".join(masks)) == [], masks


# -- the files -----------------------------------------------------------------------------

_CONN = Conn(
    name=f"postgres.{base36_id('canary/conn')}",
    caption="crm",
    attrs={"class": "postgres", "dbname": "crm", "port": "5432", "server": "db.example.org",
           "username": "reader"},
)  # fmt: skip
_COLUMNS = (
    Col(name="contact_id", datatype="integer"),
    Col(name="region", datatype="string"),
    Col(name="first_name", datatype="string"),
    Col(name="last_name", datatype="string"),
    Col(name="email", datatype="string"),
    Col(name="phone", datatype="string"),
    Col(name="ssn", datatype="string"),
    Col(name="date_of_birth", datatype="date"),
    Col(name="card_number", datatype="string"),
    Col(name="iban", datatype="string"),
    Col(name="ip_address", datatype="string"),
    Col(name="notes", datatype="string"),
)
CONTACTS = DatasourceSpec(
    name=f"federated.{base36_id('canary/ds')}",
    caption="Contacts",
    connections=(_CONN,),
    tables=(
        Table(
            name="contacts",
            table="[public].[contacts]",
            connection=_CONN.name,
            object_id=f"contacts_{guid('canary/contacts')}",
        ),
    ),
    cols=_COLUMNS,
    extract=ExtractSpec(dbname="Data/Extracts/contacts.hyper"),
)
WORKBOOK = WorkbookSpec(
    name="Contacts",
    datasources=(CONTACTS,),
    sheets=(
        Sheet(
            name="By Region",
            datasource=CONTACTS.name,
            rows=(Use(field="region"),),
            cols=(Use(field="contact_id", derivation="CountD"),),
        ),
    ),
)


def _row(i: int, p: Person) -> dict[str, object]:
    return {
        "contact_id": 9000 + i, "region": ("North", "South", "East")[i % 3],
        "first_name": p.first, "last_name": p.last, "email": p.email, "phone": p.phone,
        "ssn": p.ssn, "date_of_birth": p.birth, "card_number": p.card, "iban": p.iban,
        "ip_address": p.ip, "notes": p.note,
    }  # fmt: skip


def _table(schema: str, name: str) -> HyperTableData:
    """Every mapped column plus the undescribed ``shadow_a``."""
    rows = [_row(i, p) for i, p in enumerate(PEOPLE)]
    return HyperTableData(
        schema=schema,
        name=name,
        columns=(*((c.name, c.datatype) for c in _COLUMNS), (SHADOW, "string")),
        rows=tuple(
            (*(r[c.name] for c in _COLUMNS), p.shadow_ssn)
            for r, p in zip(rows, PEOPLE, strict=True)
        ),
    )


@pytest.fixture(scope="module")
def canary_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``contacts.twbx`` and ``people.hyper`` in a folder of their own."""
    folder = tmp_path_factory.mktemp("canary-files")
    rows = {"": [_row(i, p) for i, p in enumerate(PEOPLE)]}
    with HyperWriter() as writer:
        members = workbook_members(WORKBOOK, {CONTACTS.name: rows}, writer)
        assert CONTACTS.extract is not None
        members[CONTACTS.extract.dbname] = writer.build((_table("Extract", "Extract"),))
        write_package(folder / "contacts.twbx", members)
        (folder / "people.hyper").write_bytes(writer.build((_table("public", "people"),)))
    return folder


class _Records(logging.Handler):
    """Every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def all_logs() -> Iterator[_Records]:
    handler = _Records()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


@pytest.fixture
def fresh_tmpdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty directory that ``tempfile`` (and so the Hyper session) uses for the test."""
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    assert tempfile.gettempdir() == str(folder)
    return folder


def _files_under(folder: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- the test ------------------------------------------------------------------------------


def test_no_planted_value_reaches_any_output(
    canary_files: Path, fresh_tmpdir: Path, all_logs: _Records
) -> None:
    inputs = [str(canary_files / "contacts.twbx"), str(canary_files / "people.hyper")]
    reports: dict[str, str] = {}
    cli_logs: list[str] = []
    for fmt in sorted(REPORTERS):
        result = CliRunner().invoke(cli, ["scan", "-vv", "--format", fmt, *inputs])
        assert result.exit_code == 1, (fmt, result.stderr)  # high findings: the SSN columns
        reports[fmt] = result.stdout
        cli_logs.append(result.stderr)
    engine_result = audit([Path(p) for p in inputs], AuditConfig())

    assert "DEBUG" in "".join(cli_logs)  # -vv really logged at DEBUG
    assert any(line.startswith("DEBUG tableau_audit") for line in all_logs.lines)
    left = _files_under(fresh_tmpdir)
    places: dict[str, str] = {f"report:{fmt}": text for fmt, text in reports.items()}
    places |= {"cli stderr": "\n".join(cli_logs), "logging": "\n".join(all_logs.lines)}
    places |= {"repr(result)": repr(engine_result), "str(result)": str(engine_result)}
    places |= {f"temp file {name}": data.decode("utf-8", "replace") for name, data in left.items()}
    assert {where: found for where, text in places.items() if (found := leaks(text))} == {}
    assert list(fresh_tmpdir.iterdir()) == []

    _assert_values_were_read_and_masked(json.loads(reports["json"]))
    for fmt, text in reports.items():
        # The undescribed column is named (TA105; Markdown escapes "_"), its values are not.
        assert re.search(r"shadow\\?_a", text), fmt


def _assert_values_were_read_and_masked(document: dict[str, Any]) -> None:
    """Sampling happened (so the search above was not vacuous) and exemplars are masked."""
    columns = {
        (item["kind"], c["remote_name"]): c["classification"]
        for item in document["workbooks"]
        for c in item["columns"]
    }
    for kind in ("workbook", "extract"):
        ssn = columns[(kind, "ssn")]
        assert (ssn["type"], ssn["name_only"], ssn["sample_size"]) == ("ssn", False, ROWS)
        assert ssn["exemplars"]
        assert set(ssn["exemplars"]) <= {f"***-**-{p.ssn[-4:]}" for p in PEOPLE}
        shadow = columns[(kind, SHADOW)]
        assert (shadow["type"], shadow["name_only"]) == ("ssn", False)
        assert set(shadow["exemplars"]) <= {f"***-**-{p.shadow_ssn[-4:]}" for p in PEOPLE}
        card = columns[(kind, "card_number")]
        assert card["exemplars"]
        assert set(card["exemplars"]) <= {f"**** **** **** {p.card[-4:]}" for p in PEOPLE}
        email = columns[(kind, "email")]
        assert email["exemplars"]
        assert set(email["exemplars"]) <= {f"{p.email[0]}***@q***.org" for p in PEOPLE}
        phone = columns[(kind, "phone")]
        assert phone["exemplars"]
        assert set(phone["exemplars"]) <= {f"(***) ***-**{p.phone[-2:]}" for p in PEOPLE}
        iban = columns[(kind, "iban")]
        assert iban["type"] == "bank_account"
        assert set(iban["exemplars"]) <= {"*" * 18 + p.iban[-4:] for p in PEOPLE}
        for name in ("first_name", "last_name", "date_of_birth", "notes"):
            found = columns[(kind, name)]
            assert found is not None, (kind, name)
            assert found["name_only"] is False, (kind, name)
            assert found["exemplars"] == [], (kind, name)  # no exemplar at all for these types
