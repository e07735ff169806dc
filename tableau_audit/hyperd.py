"""Starting and stopping hyperd, and starting it early, before the CLI is even imported.

Light to import (the standard library only; the Hyper API is imported by a start itself), so
that the console script can use it first thing (:mod:`tableau_audit.entry`).

Why start early: a cold ``tableau-audit scan one.twbx`` spends ~100 ms importing the CLI and
the engine before it asks for its first extract, and reading that extract then waits for the
Hyper API import (~20 ms) and hyperd's own start (~30 ms). Started on a thread while the CLI
imports, hyperd is running by the time the extract is read (issue 2's cold-start benchmark).
The first :class:`~tableau_audit.parsing.hyper.HyperSession` of the process adopts the early
start (:func:`claim_early_start`); if none does (the command failed before reading anything),
it is stopped and its directory removed at exit.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tableauhyperapi import HyperProcess

__all__ = [
    "EarlyStart",
    "claim_early_start",
    "make_private_root",
    "may_hold_extract",
    "start_early",
    "start_process",
    "stop_process",
]

logger = logging.getLogger(__name__)

HYPER_MAGIC = b"Hyper"
"""First bytes of a .hyper file (the same as :data:`tableau_audit.parsing.detect.HYPER_MAGIC`)."""
ZIP_MAGIC = b"PK\x03\x04"
"""First bytes of a ZIP with at least one member (as in :mod:`tableau_audit.parsing.detect`)."""
ZIP_TAIL = 64 * 1024
"""How much of a ZIP's end :func:`may_hold_extract` reads: where its member list is."""


def make_private_root() -> Path:
    """A new private directory (mode 0700: only this user reads the copies put in it)."""
    return Path(tempfile.mkdtemp(prefix="tableau-audit-hyper-"))


def start_process(root: Path, *, on_imported: Callable[[], object] | None = None) -> HyperProcess:
    """Start hyperd, telemetry and log off, everything it writes inside ``root``.

    ``on_imported`` is called once the Hyper API is imported (or its import failed): hyperd
    is starting from then on. Raises whatever ``HyperProcess`` raises.
    """
    try:
        from tableauhyperapi import HyperProcess, Telemetry
    finally:
        if on_imported is not None:
            on_imported()
    log_dir = root / "log"
    log_dir.mkdir(mode=0o700, exist_ok=True)
    # NOTE: log_config='' turns hyperd's log off (its log holds query text); log_dir keeps any
    # file it might still write inside ``root``. hyperd also spills "hyper_transient.*.tmp"
    # files into $TMPDIR (TMP/TEMP on Windows), read when it starts: the Hyper API has no
    # parameter for that. tempfile's own directory is settled before (make_private_root).
    private = str(root)
    with _temporary_environment(TMPDIR=private, TMP=private, TEMP=private):
        return HyperProcess(
            telemetry=Telemetry.DO_NOT_SEND_USAGE_DATA_TO_TABLEAU,
            parameters={"log_config": "", "log_dir": str(log_dir)},
        )


def stop_process(process: HyperProcess) -> None:
    """Terminate hyperd and reap it; never raises.

    NOTE: timeout 0 terminates at once (~3 ms instead of ~20 ms for a graceful close): hyperd
    only ever holds read-only attachments of our own private copies. ``shutdown`` releases the
    process handle even when it raises (hyperd had already died).
    """
    try:
        process.shutdown(timeout_ms=0)
    except Exception as error:
        logger.debug("hyperd shutdown failed (%s)", type(error).__name__)


_ENVIRONMENT_LOCK = threading.Lock()
"""Serialises :func:`_temporary_environment`: two starts on two threads must not interleave
their saves and restores, or the variables could stay pointed at a removed directory."""


@contextmanager
def _temporary_environment(**values: str) -> Iterator[None]:
    """Set environment variables while a child process is started inside the block.

    The environment is the process's: every thread sees the change while the block runs. The
    caller settles what it reads from it first (``tempfile``'s directory: make_private_root),
    and no other child process is started during a scan's hyperd start.
    """
    with _ENVIRONMENT_LOCK:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class EarlyStart:
    """hyperd being started on a daemon thread, in its own private directory.

    Whoever claims it owns the directory and, once :meth:`take` returns it, the process.
    """

    def __init__(self) -> None:
        self.root = make_private_root()
        self.launched = threading.Event()
        """Set once the Hyper API is imported (hyperd is starting), or its import failed."""
        self._process: HyperProcess | None = None
        self._thread = threading.Thread(
            target=self._start, name="tableau-audit-hyperd-early", daemon=True
        )
        try:
            self._thread.start()
        except BaseException:
            shutil.rmtree(self.root, ignore_errors=True)
            raise

    def take(self) -> HyperProcess | None:
        """Wait for the start to end; the process (now the caller's), or None if it failed."""
        self._thread.join()
        process, self._process = self._process, None
        return process

    def stop(self) -> None:
        """Stop the process unless it was taken (the directory stays: its owner removes it)."""
        process = self.take()
        if process is not None:
            stop_process(process)

    def discard(self) -> None:
        """Stop the process unless it was taken, and remove the directory."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _start(self) -> None:
        try:
            self._process = start_process(self.root, on_imported=self.launched.set)
        except Exception as error:  # the session starts hyperd itself and reports a failure
            logger.debug("starting hyperd early failed (%s)", type(error).__name__)


_pending: EarlyStart | None = None
_pending_lock = threading.Lock()


def start_early() -> None:
    """Start hyperd now, for the next session of the process to adopt.

    Does nothing while a start is pending (started, not yet claimed). Whatever is still pending
    at exit is stopped and its directory removed.
    """
    global _pending
    with _pending_lock:
        if _pending is None:
            _pending = EarlyStart()


def _discard_unclaimed() -> None:
    early = claim_early_start()
    if early is not None:
        early.discard()


# NOTE: registered at import, before any start can be pending: an interrupt between a start
# and its registration would otherwise leave a started hyperd without its exit hook.
atexit.register(_discard_unclaimed)


def claim_early_start() -> EarlyStart | None:
    """The early start, if one is pending: the caller now owns it (only the first caller)."""
    global _pending
    with _pending_lock:
        early, _pending = _pending, None
    return early


def may_hold_extract(path: Path) -> bool:
    """A cheap guess, never a verdict: a .hyper file, or a ZIP whose end names a .hyper member.

    Reads at most :data:`ZIP_TAIL` bytes, from regular files only; a ZIP's member list is at its
    end. A wrong guess costs time only: the engine decides what the file is and holds.
    """
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with path.open("rb") as handle:
            head = handle.read(len(HYPER_MAGIC))
            if head.startswith(HYPER_MAGIC):
                return True
            if not head.startswith(ZIP_MAGIC):
                return False
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - ZIP_TAIL))
            return b".hyper" in handle.read(ZIP_TAIL).lower()
    except (OSError, ValueError):
        return False
