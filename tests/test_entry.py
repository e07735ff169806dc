"""The console script starts hyperd early for a scan of extracts; the first session adopts it.

The early start is an optimisation only (issue 2's cold start): these tests hold it to three
promises. It starts only when the command line scans a file that looks like it holds an
extract; the session adopts it instead of starting a second hyperd; and nothing of it is left
behind (process, private directory) whether or not a session adopted it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tableau_audit import entry, hyperd
from tableau_audit.entry import GLANCED_PATHS, reads_extracts
from tableau_audit.parsing import detect
from tableau_audit.parsing.hyper import HyperSession
from tests.fresh_python import run_python
from tests.hyperfactory import hyperd_children


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh TMPDIR, so that what the early start leaves behind (if anything) shows."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    yield folder
    leaked = hyperd.claim_early_start()
    if leaked is not None:
        leaked.discard()
    assert leaked is None  # no test leaves one pending


def test_magic_numbers_are_those_of_the_format_detection() -> None:
    assert hyperd.HYPER_MAGIC == detect.HYPER_MAGIC
    assert hyperd.ZIP_MAGIC == detect.ZIP_MAGIC


def test_reads_extracts_only_for_a_scan_of_a_file_with_an_extract(
    generated_samples: Path, tmp_path: Path
) -> None:
    twbx = str(generated_samples / "clean_sales.twbx")
    assert reads_extracts(["scan", twbx])
    assert reads_extracts(["scan", "--format", "json", twbx, "--fail-on", "low"])
    assert reads_extracts(["scan", str(generated_samples / "customers.tdsx")])
    assert reads_extracts(["scan", str(generated_samples / "people.hyper")])
    assert reads_extracts(["scan", str(generated_samples / "credentials.twb"), twbx])
    assert not reads_extracts(["scan", twbx, "--help"])
    assert not reads_extracts(["scan", "-h", twbx])
    assert not reads_extracts(["rules", twbx])
    assert not reads_extracts([twbx])
    assert not reads_extracts([])
    assert not reads_extracts(["scan", str(generated_samples / "credentials.twb")])
    assert not reads_extracts(["scan", str(generated_samples / "missing_extract.twbx")])
    assert not reads_extracts(["scan", str(generated_samples / "raw_data_packed.twbx")])
    assert not reads_extracts(["scan", str(generated_samples)])  # folders are not walked
    assert not reads_extracts(["scan", str(tmp_path / "absent.twbx")])


def test_the_glance_looks_at_the_first_paths_only(generated_samples: Path) -> None:
    plain = [str(generated_samples / "credentials.twb")] * GLANCED_PATHS
    twbx = str(generated_samples / "clean_sales.twbx")
    assert reads_extracts(["scan", *plain[1:], twbx])
    assert not reads_extracts(["scan", *plain, twbx])


@pytest.mark.hyper
def test_a_failed_early_start_costs_nothing_but_time(
    private_tmp: Path, generated_samples: Path
) -> None:
    refused = "def announced():\n    raise PermissionError('no temporary directory')\n"
    twbx = str(generated_samples / "clean_sales.twbx")
    done = _console(["scan", twbx, "--format", "json"], private_tmp, start_early=refused)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    (item,) = json.loads(done.stdout)["workbooks"]
    assert any(column["in_extract"] for column in item["columns"])  # hyperd started anyway
    assert list(private_tmp.iterdir()) == []


def test_may_hold_extract_reads_only_the_end_of_a_zip(tmp_path: Path) -> None:
    late = tmp_path / "late.twbx"
    with zipfile.ZipFile(late, "w") as package:
        package.writestr("Data/Extracts/a.hyper", b"Hyper" + b"\0" * 10)
        for index in range(5000):  # a member list longer than the tail read
            package.writestr(f"Data/padding/{index:05}.csv", b"")
    assert hyperd.may_hold_extract(late) is False  # a miss costs time, never a result
    early = tmp_path / "early.twbx"
    with zipfile.ZipFile(early, "w") as package:
        package.writestr("Data/Extracts/A.HYPER", b"")
    assert hyperd.may_hold_extract(early) is True


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_may_hold_extract_never_opens_a_pipe(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.twbx"
    os.mkfifo(pipe)
    assert hyperd.may_hold_extract(pipe) is False  # opening it would block until a writer


@pytest.mark.hyper
def test_the_first_session_adopts_the_early_start(
    private_tmp: Path, generated_samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_second_start(self: HyperSession) -> None:
        raise AssertionError("the session started its own hyperd")

    monkeypatch.setattr(HyperSession, "_start_process", no_second_start)
    starts = HyperSession.total_starts()
    hyperd.start_early()
    hyperd.start_early()  # nothing more while one is pending
    with HyperSession() as session:
        inventory = session.inventory(generated_samples / "people.hyper", label="people")
        assert inventory.error is None
        assert inventory.tables
        assert session.starts == 1
        assert session.temp_dir is not None
        assert session.temp_dir.parent == private_tmp
        with HyperSession() as other:  # a second session does not get it
            assert other.temp_dir is None
    assert HyperSession.total_starts() == starts + 1
    assert list(private_tmp.iterdir()) == []


@pytest.mark.hyper
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds hyperd through /proc")
def test_an_early_start_nobody_used_is_stopped(private_tmp: Path) -> None:
    before = hyperd_children()
    hyperd.start_early()
    session = HyperSession()  # adopts it, reads nothing
    early = session._early
    assert early is not None
    assert early.launched.wait(60)
    early._thread.join()
    assert len(hyperd_children() - before) == 1
    session.close()
    assert hyperd_children() == before
    assert list(private_tmp.iterdir()) == []

    hyperd.start_early()  # and one no session claimed: the exit hook stops it
    hyperd._discard_unclaimed()
    assert hyperd_children() == before
    assert list(private_tmp.iterdir()) == []


ANNOUNCED = "def announced():\n    print('started early', file=sys.stderr)\n    start()\n"
"""The child's stand-in for ``hyperd.start_early`` (``start`` is the real one)."""


def _console(
    args: list[str], tmp: Path, *, start_early: str = ANNOUNCED
) -> subprocess.CompletedProcess[str]:
    """The console script's entry point in a fresh interpreter, with its own TMPDIR.

    ``start_early`` defines ``announced()``, run instead of ``hyperd.start_early``: by default
    it says ``started early`` on stderr, then starts hyperd early.
    """
    code = (
        f"import sys; sys.argv = ['tableau-audit', *{args!r}]\n"
        "from tableau_audit import hyperd\n"
        "start = hyperd.start_early\n"
        f"{start_early}"
        "hyperd.start_early = announced\n"
        "import atexit, gc\n"
        "atexit.register(lambda: print('gc threshold', gc.get_threshold()[0], file=sys.stderr))\n"
        "from tableau_audit.entry import main\n"
        "main()"
    )
    env = {**os.environ, "TMPDIR": str(tmp), "TABLEAU_AUDIT_WEBHOOK": ""}
    return run_python(code, env=env, check=False)


@pytest.mark.hyper
def test_console_scan_with_an_early_start_leaves_nothing_behind(
    private_tmp: Path, generated_samples: Path
) -> None:
    twbx = str(generated_samples / "clean_sales.twbx")
    done = _console(["scan", twbx, "--format", "json", "--fail-on", "critical"], private_tmp)
    assert done.returncode == 0, done.stderr
    assert "started early" in done.stderr
    assert f"gc threshold {entry.GC_YOUNGEST_THRESHOLD}" in done.stderr
    (item,) = json.loads(done.stdout)["workbooks"]
    assert any(column["in_extract"] for column in item["columns"])
    assert list(private_tmp.iterdir()) == []

    # Started early, never claimed: the command fails on its options before any audit.
    done = _console(["scan", twbx, "--fail-on", "nope"], private_tmp)
    assert done.returncode == 2
    assert "started early" in done.stderr
    assert "nope" in done.stderr
    assert list(private_tmp.iterdir()) == []
