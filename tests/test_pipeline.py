"""Extracts read ahead on a worker thread: same result as a sequential run, hyperd's lifecycle.

``engine.audit`` reads each file's extracts one file ahead through :class:`ReadAhead` while it
parses and classifies the current file. These tests hold it to the sequential run (every report
byte-identical, broken files included), check that every extract ``load_item`` asks for was the
one read ahead (no label or byte mismatch that would silently read everything twice), and that
``prestart``/``close`` leave no hyperd and no private directory behind.
"""

from __future__ import annotations

import dataclasses
import shutil
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tableau_audit.config import AuditConfig
from tableau_audit.display import display_path
from tableau_audit.engine import _audit_file, audit, build_result
from tableau_audit.findings import ItemReport, Skipped
from tableau_audit.model import HyperInventory
from tableau_audit.parsing import load_item
from tableau_audit.parsing.hyper import HyperSession, ValueSample
from tableau_audit.parsing.package import Member, Package
from tableau_audit.parsing.read_ahead import SWITCH_INTERVAL, ReadAhead
from tableau_audit.reports import REPORTERS
from tableau_audit.rules import ALL_RULES
from tableau_audit.sources.local import collect_paths
from tests.hyperfactory import hyperd_children

pytestmark = pytest.mark.hyper

SAMPLE_SIZE = 200


class _CountingSession(HyperSession):
    """A real session that counts what ``load_item`` asks of it (the sequential reference)."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: list[str] = []

    def inspect(
        self,
        data: Path | bytes | Member,
        *,
        label: str,
        columns: Sequence[tuple[str, str, str]] | None = None,
        size: int | None = None,
    ) -> tuple[HyperInventory, ValueSample]:
        self.labels.append(label)
        return super().inspect(data, label=label, columns=columns, size=size)


def _config() -> AuditConfig:
    config = AuditConfig()
    policy = dataclasses.replace(config.policy, sample_size=SAMPLE_SIZE)
    return dataclasses.replace(config, policy=policy)


def _sequential(folder: Path, config: AuditConfig) -> tuple[str, list[str]]:
    """The JSON report of a plain one-file-after-the-other run, and the extracts it read."""
    files, _ = collect_paths([folder])
    session = _CountingSession()
    with session:
        outcomes = [_audit_file(p, display_path(p), config, ALL_RULES, session) for p in files]
    items = [o for o in outcomes if isinstance(o, ItemReport)]
    skipped = [o for o in outcomes if isinstance(o, Skipped)]
    result = build_result(items, skipped, ALL_RULES, config)
    return REPORTERS["json"].render(result), session.labels


def test_read_ahead_audit_equals_the_sequential_run(generated_samples: Path) -> None:
    config = _config()
    expected, labels = _sequential(generated_samples, config)
    result = audit([generated_samples], config)
    assert REPORTERS["json"].render(result) == expected
    # The comparison means something: extracts were sampled, broken ones were met on the way.
    names = {item.source: Path(item.source).name for item in result.items}
    sampled = {
        names[item.source]
        for item in result.items
        for c in item.columns
        if c.classification is not None and c.classification.sample_size > 0
    }
    assert sampled == {
        "customers.tdsx",
        "doj_permits.twbx",
        "hidden_in_extract.twbx",
        "hr_shown.twbx",
        "multi_table.twbx",
        "people.hyper",
        "renamed_dupes.twbx",
    }
    unreadable = {names[i.source] for i in result.items for f in i.findings if f.rule_id == "TA902"}
    assert unreadable == {"corrupt_extract.twbx", "missing_extract.twbx", "zero_byte_extract.twbx"}
    assert len(labels) == len(set(labels)) >= 8


def test_every_extract_load_item_asks_for_was_read_ahead(generated_samples: Path) -> None:
    _, labels = _sequential(generated_samples, _config())
    files, _ = collect_paths([generated_samples])
    with HyperSession() as session, ReadAhead(session, sample_size=SAMPLE_SIZE) as reader:
        for index, path in enumerate(files):
            for ahead in files[index : index + 2]:
                reader.queue(ahead, display=display_path(ahead))
            load_item(path, display=display_path(path), hyper=reader, sample_size=SAMPLE_SIZE)
            reader.release(display_path(path))
        assert (reader.hits, reader.misses) == (len(labels), 0)
        assert session.starts == 1


def test_an_extract_read_ahead_is_not_inflated_again(
    generated_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The read-ahead matches a packaged extract by its declared size and CRC: the caller's
    # thread reads the document only, never the (possibly huge) .hyper member a second time.
    reads: list[tuple[bool, str]] = []
    original_read, original_copy = Package.read, Package.copy_to

    def counting_read(self: Package, path: str, *, limit: int | None = None) -> bytes:
        reads.append((threading.current_thread() is threading.main_thread(), path))
        return original_read(self, path, limit=limit)

    def counting_copy(self: Package, path: str, write: Callable[[bytes], object]) -> None:
        reads.append((threading.current_thread() is threading.main_thread(), path))
        original_copy(self, path, write)

    monkeypatch.setattr(Package, "read", counting_read)
    monkeypatch.setattr(Package, "copy_to", counting_copy)
    workbook = generated_samples / "doj_permits.twbx"
    with HyperSession() as session, ReadAhead(session, sample_size=SAMPLE_SIZE) as reader:
        reader.queue(workbook, display="doj")
        loaded = load_item(workbook, display="doj", hyper=reader, sample_size=SAMPLE_SIZE)
        assert (reader.hits, reader.misses) == (1, 0)
    hyper_reads = [(on_main, path) for on_main, path in reads if path.endswith(".hyper")]
    assert len(hyper_reads) == 1  # read once, by the read-ahead
    assert not hyper_reads[0][0]  # a miss would be read again on the caller's thread
    assert loaded.samples.values  # the values came from the read-ahead


def test_a_read_ahead_that_does_not_match_is_read_on_demand(
    generated_samples: Path, tmp_path: Path
) -> None:
    hyper = generated_samples / "people.hyper"
    elsewhere = tmp_path / "people.hyper"
    shutil.copyfile(hyper, elsewhere)
    with HyperSession() as session, ReadAhead(session, sample_size=SAMPLE_SIZE) as reader:
        reader.queue(hyper, display="people")
        other_size = reader.inspect(hyper, label="people", size=SAMPLE_SIZE + 1)
        other_file = reader.inspect(elsewhere, label="people", size=SAMPLE_SIZE)
        same = reader.inspect(hyper, label="people", size=SAMPLE_SIZE)
        assert (reader.hits, reader.misses) == (1, 2)
    assert other_size[0] == other_file[0] == same[0]
    assert other_file[1].values == same[1].values


def test_idle_work_runs_once_when_the_caller_first_waits(generated_samples: Path) -> None:
    hyper = generated_samples / "people.hyper"
    calls: list[tuple[bool, bool]] = []

    def warm_up() -> None:
        calls.append((hyper_busy(), session.wait_launched(0)))
        raise RuntimeError("a failing warm-up must not cost the read")

    with HyperSession() as session:
        reader = ReadAhead(session, sample_size=SAMPLE_SIZE, while_waiting=warm_up)
        with reader:
            reader.queue(hyper, display="people")
            futures = list(reader._ahead.values())

            def hyper_busy() -> bool:
                return not futures[0].done()

            first = reader.inspect(hyper, label="people", size=SAMPLE_SIZE)  # hyperd not up yet
            reader.queue(hyper, display="people again")
            reader.inspect(hyper, label="people again", size=SAMPLE_SIZE)
    # Once, while the read was still in progress, and only once hyperd was starting (earlier,
    # its GIL-bound work would have slowed the reader's import of the Hyper API).
    assert calls == [(True, True)]
    assert first[0].error is None
    assert reader.hits == 2


def test_no_idle_work_when_no_extract_is_waited_for(generated_samples: Path) -> None:
    calls: list[str] = []
    with (
        HyperSession() as session,
        ReadAhead(
            session, sample_size=SAMPLE_SIZE, while_waiting=lambda: calls.append("x")
        ) as reader,
    ):
        xml_only = generated_samples / "credentials.twb"
        reader.queue(xml_only, display="credentials")
        load_item(xml_only, display="credentials", hyper=reader, sample_size=SAMPLE_SIZE)
        assert session.starts == 0
    assert calls == []


def test_closing_with_reads_queued_cancels_them_and_removes_everything(
    generated_samples: Path,
) -> None:
    before = hyperd_children()
    files, _ = collect_paths([generated_samples])
    with HyperSession() as session:
        with ReadAhead(session, sample_size=SAMPLE_SIZE) as reader:
            for path in files:
                reader.queue(path, display=display_path(path))
        root = session.temp_dir
    assert root is not None
    assert not root.exists()
    if sys.platform.startswith("linux"):
        assert hyperd_children() == before


def test_hyperd_is_stopped_once_the_last_file_is_read_before_it_is_audited(
    generated_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tableau_audit.engine as engine

    events: list[str] = []
    close_soon = HyperSession.close_soon
    audit_workbook = engine.audit_workbook

    def recording_close_soon(self: HyperSession) -> None:
        events.append("close_soon")
        close_soon(self)

    def recording_audit(workbook: object, *args: object, **kwargs: object) -> ItemReport:
        events.append("audit")
        return audit_workbook(workbook, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(HyperSession, "close_soon", recording_close_soon)
    monkeypatch.setattr(engine, "audit_workbook", recording_audit)
    before = hyperd_children()
    paths = [generated_samples / "clean_sales.twbx", generated_samples / "customers.tdsx"]
    result = audit(paths, _config())
    assert [item.source for item in result.items] == [display_path(p) for p in paths]
    assert events == ["audit", "close_soon", "audit"]
    assert hyperd_children() == before


def test_a_background_stop_that_cannot_start_leaves_the_stop_to_the_end(
    generated_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_thread(self: HyperSession) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(HyperSession, "close_soon", no_thread)
    before = hyperd_children()
    result = audit([generated_samples / "clean_sales.twbx"], _config())
    assert [item.source for item in result.items] == [
        display_path(generated_samples / "clean_sales.twbx")
    ]
    assert result.complete
    assert hyperd_children() == before


# -- hyperd's background start and immediate stop ---------------------------------------------


def test_prestart_starts_one_hyperd_that_the_first_file_uses(generated_samples: Path) -> None:
    before = hyperd_children()
    with HyperSession() as session:
        assert not session.wait_launched(0)  # nothing started yet
        session.prestart()
        session.prestart()
        assert session.wait_launched(30)
        root = session.temp_dir
        assert root is not None
        inventory = session.inventory(generated_samples / "people.hyper", label="people")
        assert inventory.error is None
        assert len(inventory.tables) == 1
        assert session.starts == 1
        if sys.platform.startswith("linux"):
            assert len(hyperd_children() - before) == 1
    assert not root.exists()
    assert hyperd_children() == before


def test_close_right_after_prestart_stops_hyperd_and_removes_its_directory() -> None:
    before = hyperd_children()
    session = HyperSession()
    session.prestart()
    root = session.temp_dir
    assert root is not None
    session.close()
    assert not root.exists()
    assert hyperd_children() == before
    session.prestart()  # closed: nothing starts again
    assert session.temp_dir is None


def test_the_switch_interval_is_lowered_while_reading_ahead_and_restored() -> None:
    before = sys.getswitchinterval()
    with HyperSession() as session, ReadAhead(session, sample_size=SAMPLE_SIZE):
        assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL)
    assert sys.getswitchinterval() == before


def test_readers_that_overlap_never_leave_the_switch_interval_lowered() -> None:
    before = sys.getswitchinterval()
    with HyperSession() as session:
        first = ReadAhead(session, sample_size=SAMPLE_SIZE).__enter__()
        second = ReadAhead(session, sample_size=SAMPLE_SIZE).__enter__()
        first.close()
        second.close()
    assert sys.getswitchinterval() == before
