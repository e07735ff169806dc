"""Read .hyper extracts ahead, on worker threads, while the caller parses and classifies.

hyperd is a separate process: while it attaches a copy of an extract and answers the catalogue
and sample queries, the auditor's own work (XML, field usage, classification) can go on. A
:class:`ReadAhead` is the Hyper reader that :func:`~tableau_audit.parsing.load_item` is given
during a local run. The engine queues each file (:meth:`ReadAhead.queue`) before it parses it,
and the next ones while it classifies the current one. A worker opens the file, finds its
.hyper extracts (a standalone .hyper, or the .hyper members of a package, read through the same
capped :class:`~tableau_audit.parsing.package.Package`) and reads each one exactly as
``load_item`` would. When ``load_item`` later asks for that extract, with the same label and the
same bytes, the answer is ready or on its way; anything else is read there and then, on the
caller's thread (never queued behind the read-aheads).

:data:`READERS` workers read files in the order they were queued, each file wholly on one
worker, through the run's one hyperd: while hyperd answers one worker, the other copies or
inflates the next extract. A hyperd that dies under a read costs nothing but time: the
:class:`~tableau_audit.parsing.hyper.HyperSession` reads every file it broke again alone, so
the results are those of a one-thread run. Read-ahead results, sampled values included, live
in memory only until the engine releases their file.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tableau_audit.errors import ParseError
from tableau_audit.model import ExtractFormat, HyperInventory, PackagedFileKind
from tableau_audit.parsing.detect import HEAD_SIZE, FileFormat, sniff
from tableau_audit.parsing.hyper import HyperSession, ValueSample
from tableau_audit.parsing.package import Member, Package, PackageLimits

__all__ = ["ReadAhead"]

logger = logging.getLogger(__name__)

READERS = 2
"""Worker threads reading extracts: while hyperd answers one, the other is in Python (copying,
inflating, splitting a sample). On the corpus, two took the run from 1.85 to 1.60 s; a third
changed nothing measurable on two cores."""

SWITCH_INTERVAL = 0.0005
"""Seconds between GIL hand-overs while a :class:`ReadAhead` is open (Python's default: 0.005).

Each hyperd reply wakes the worker, which then needs the GIL back from the busy main thread;
at the default interval that wait made one extract read take ~165 ms instead of ~35 ms next to
a classifying main thread. At 0.5 ms it takes ~60 ms, and the main thread loses no measurable
throughput (only threads that ask for the GIL trigger a hand-over).
"""

_LAUNCH_POLL = 0.002
"""Seconds between checks of the read while the warm-up waits for hyperd's launch."""

_Identity = Path | tuple[int, int]
"""What the data of a read was: the path of a standalone file, or a packaged member's
(size, CRC-32) as its zip directory declares them (checked by every full read)."""


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class _Read:
    """One extract read ahead. ``repr`` names no value (``ValueSample``'s shows counts only)."""

    identity: _Identity
    inventory: HyperInventory
    sample: ValueSample | None
    """None when the run samples nothing (inventory only)."""


def _identity(data: Path | Member) -> _Identity:
    """What a read of ``data`` reads.

    NOTE: it only guards against a file that changed between the read-ahead and the parse, not
    against an adversary (who controls both reads anyway).
    """
    return data if isinstance(data, Path) else data.checksum


class ReadAhead:
    """A Hyper reader for :func:`~tableau_audit.parsing.load_item` that reads extracts ahead.

    Use as a context manager inside the session's own ``with``: leaving it waits for the read
    in progress and drops what was read ahead but not used. ``sample_size`` and ``limits`` must
    be those ``load_item`` is given (sample size 0 = inventories only), or nothing read ahead
    matches what it asks for.
    """

    def __init__(
        self,
        session: HyperSession,
        *,
        sample_size: int,
        limits: PackageLimits | None = None,
        while_waiting: Callable[[], object] | None = None,
    ) -> None:
        """``while_waiting`` is run once, the first time the caller would wait for a read: work
        the caller must do anyway (warming caches) then costs no time. If it fails, the failure
        is logged (its type only) and the read goes on."""
        self._session = session
        self._while_waiting = while_waiting
        self._sample_size = sample_size
        self._limits = limits or PackageLimits()
        self._worker = ThreadPoolExecutor(
            max_workers=READERS, thread_name_prefix="tableau-audit-hyper"
        )
        self._ahead: dict[str, Future[Mapping[str, _Read]]] = {}
        self._saved_interval: float | None = None
        self._set_interval = 0.0
        self.hits = 0
        """Extracts served from a read-ahead (for tests and benchmarks)."""
        self.misses = 0
        """Extracts read on demand because no read-ahead matched."""

    def __enter__(self) -> ReadAhead:
        # NOTE: process-wide, so only lowered (never raised) and restored by close().
        self._saved_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._saved_interval, SWITCH_INTERVAL))
        self._set_interval = sys.getswitchinterval()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Wait for the read in progress, cancel the queued ones and drop every result."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        self._ahead.clear()
        saved, self._saved_interval = self._saved_interval, None
        # NOTE: only if no one changed it since (another reader opened and closed meanwhile,
        # say): restoring a value saved later would leave the interval lowered for good.
        if saved is not None and sys.getswitchinterval() == self._set_interval:
            sys.setswitchinterval(saved)

    # -- what the engine calls -----------------------------------------------------------

    def queue(self, path: Path, *, display: str) -> None:
        """Start reading the extracts of ``path`` (named ``display``, as ``load_item`` names it)."""
        if display not in self._ahead:
            self._ahead[display] = self._worker.submit(self._read_file, path, display)

    def release(self, display: str) -> None:
        """Forget what was read ahead for a file (its audit is done, or it was skipped)."""
        future = self._ahead.pop(display, None)
        if future is not None:
            future.cancel()

    # -- HyperReader (what load_item calls) ----------------------------------------------

    def inventory(self, data: Path | Member, *, label: str) -> HyperInventory:
        """Tables, columns and row counts, from the read-ahead when it read these bytes."""
        found = self._take(data, label)
        if found is not None:
            return found.inventory
        self.misses += 1
        return self._session.inventory(data, label=label)

    def inspect(
        self, data: Path | Member, *, label: str, size: int | None = None
    ) -> tuple[HyperInventory, ValueSample]:
        """Inventory and sample, from the read-ahead when it sampled these bytes at ``size``."""
        found = self._take(data, label) if size == self._sample_size else None
        if found is not None and found.sample is not None:
            return found.inventory, found.sample
        self.misses += 1
        return self._session.inspect(data, label=label, size=size)

    # -- internals -----------------------------------------------------------------------

    def _take(self, data: Path | Member, label: str) -> _Read | None:
        """The read-ahead of ``label`` if it read the same data, else None."""
        identity = _identity(data)
        for display, future in self._ahead.items():
            if label != display and not label.startswith(f"{display}:"):
                continue
            if not future.done():
                self._use_idle_time(future)
            read = future.result().get(label)  # NOTE: waits while the worker is still on it
            if read is not None and read.identity == identity:
                self.hits += 1
                return read
        return None

    def _use_idle_time(self, reading: Future[Mapping[str, _Read]]) -> None:
        hook, self._while_waiting = self._while_waiting, None
        if hook is None:
            return
        # NOTE: the hook is Python work, which would take the GIL from the reader importing the
        # Hyper API and delay the read by as much (12-20 ms of a cold run): it starts once
        # hyperd is starting, when the reader mostly waits on hyperd, or the read is over.
        while not reading.done() and not self._session.wait_launched(_LAUNCH_POLL):
            pass
        try:
            hook()
        except Exception as error:  # a warm-up must never cost a run
            logger.debug("work while waiting for hyperd failed (%s)", type(error).__name__)

    def _read_file(self, path: Path, display: str) -> Mapping[str, _Read]:
        """Worker: every .hyper of one file, by the label ``load_item`` will ask for."""
        reads: dict[str, _Read] = {}
        try:
            with path.open("rb") as handle:
                fmt = sniff(handle.read(HEAD_SIZE))
                handle.seek(0)
                if fmt is FileFormat.HYPER:
                    self._session.prestart()
                    reads[display] = self._read(path, display)
                elif fmt is FileFormat.PACKAGE:
                    reads.update(self._read_package(Package(handle, display, self._limits)))
        except Exception as error:  # load_item meets the same problem and reports it
            logger.debug("%s: not read ahead (%s)", display, type(error).__name__)
        return reads

    def _read_package(self, package: Package) -> dict[str, _Read]:
        members = [
            m.path
            for m in package.members
            if m.kind is PackagedFileKind.EXTRACT and m.extract_format is ExtractFormat.HYPER
        ]
        if members:
            self._session.prestart()  # hyperd starts while the first member is inflated
        reads: dict[str, _Read] = {}
        for path in members:
            member = package.member(path)
            try:
                reads[member.label] = self._read(member, member.label)
            except ParseError as error:  # a member too large or corrupt: load_item says so
                logger.debug("%s: not read ahead (%s)", member.label, type(error).__name__)
        return reads

    def _read(self, data: Path | Member, label: str) -> _Read:
        identity = _identity(data)
        if self._sample_size > 0:
            inventory, sample = self._session.inspect(data, label=label, size=self._sample_size)
            return _Read(identity=identity, inventory=inventory, sample=sample)
        inventory = self._session.inventory(data, label=label)
        return _Read(identity=identity, inventory=inventory, sample=None)
