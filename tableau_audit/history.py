"""SQLite run history: runs, finding fingerprints, counts, skip-unchanged keys; never values.

One file (``--history PATH``, stdlib :mod:`sqlite3` in WAL mode) holds, for nightly audits of
a site:

* **runs**: start and end, status (``running`` → ``complete`` | ``failed``), whether every
  item was audited, and the counts (items analysed / reused / skipped, findings by severity,
  new / resolved / persisting);
* **items**: per published item its skip-unchanged key (``updatedAt``, size, analysis key)
  and its stored analysis (see :mod:`tableau_audit.history_codec`);
* **findings**: per fingerprint its rule, severity, message (names only) and the runs that
  first and last saw it and resolved it, as of the last complete run.

Consistency under SIGKILL: a run row is created ``running`` in its own transaction, and its
findings, counts and ``complete`` status are written in one final transaction, so a killed
run never looks complete and never touches the findings; the next run marks it ``failed``
and compares with the last *complete* run. Stored analyses are written as items are analysed:
each is valid for its item's ``updatedAt`` and size whatever became of the run, so a run after
a killed one resumes without downloading what was already analysed.

Two runs never overlap: :func:`open_run` takes an exclusive ``flock`` on ``PATH.lock``, which
the kernel releases when the process ends, however it ends.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tableau_audit import __version__
from tableau_audit.changes import RunChanges, RunRef, compare
from tableau_audit.findings import AuditResult
from tableau_audit.history_schema import HistoryError, migrate
from tableau_audit.history_store import FindingStore, ItemStore, RunRecord, RunStore
from tableau_audit.model import ServerItem
from tableau_audit.sources.cache import StoredAnalysis

__all__ = [
    "History",
    "HistoryCache",
    "HistoryError",
    "NightlyRun",
    "RunRecord",
    "RunRef",
    "lock_holder",
    "open_run",
    "utc_now",
]

logger = logging.getLogger(__name__)

Clock = Callable[[], str]


def utc_now() -> str:
    """The current UTC time as ``YYYY-MM-DDTHH:MM:SSZ`` (the only clock in the history)."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class History:
    """An open history database (migrated to the current schema)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)
        self.conn = _connect(path, self.label)
        self.runs = RunStore(self.conn)
        self.findings = FindingStore(self.conn)
        self.items = ItemStore(self.conn)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL when it is the last one)."""
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(path: Path, label: str) -> sqlite3.Connection:
    """Open (creating it with mode 0600) and migrate; WAL, NORMAL sync, foreign keys on."""
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as error:
            raise HistoryError(f"{label}: cannot create the history ({_why(error)})") from None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except sqlite3.Error as error:
        raise HistoryError(f"{label}: cannot open the history ({_why(error)})") from None
    try:
        # NOTE: WAL + synchronous=NORMAL is durable against a killed process (not a power
        # loss), and readers (`tableau-audit history`) never block the nightly writer.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, label=label)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise HistoryError(f"{label}: not a tableau-audit history ({_why(error)})") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _why(error: BaseException) -> str:
    """An OS or SQLite error as text that cannot quote stored content."""
    if isinstance(error, OSError):
        return error.strerror or type(error).__name__
    code = getattr(error, "sqlite_errorname", None)
    return str(code) if code else type(error).__name__


# --- the lock ---------------------------------------------------------------------------------


class _Lock:
    """An exclusive ``flock`` on ``<history>.lock``: released by the kernel when we die."""

    def __init__(self, history: Path) -> None:
        self.path = history.with_name(history.name + ".lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        import fcntl

        handle = _open_lock_file(self.path)
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = handle.read().strip()
            handle.close()
            by = f" (process {holder})" if holder.isdigit() else ""
            raise HistoryError(
                f"{self.path.with_suffix('')}: another tableau-audit run is using this history"
                f"{by}; runs on one history cannot overlap"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor releases the flock
            self._handle = None


def _open_lock_file(path: Path) -> IO[str]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise HistoryError(f"{path}: cannot create the lock file ({_why(error)})") from None
    # NOTE: descriptors are not inherited (PEP 446), so hyperd, started by this run, can never
    # keep the lock alive after we die.
    return os.fdopen(fd, "r+", encoding="ascii")


def lock_holder(history: Path) -> bool:
    """True when some process holds the history's lock right now (a run is in progress)."""
    import fcntl

    path = history.with_name(history.name + ".lock")
    if not path.exists():
        return False
    with path.open("r", encoding="ascii") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


# --- skip-unchanged ---------------------------------------------------------------------------


class HistoryCache:
    """:class:`~tableau_audit.sources.cache.ContentCache` over the history's items table.

    The keys of every stored analysis are read once when the run starts, so that the source's
    worker threads ask a frozen dict (no database access off the main thread).
    """

    def __init__(self, items: ItemStore, *, run_id: int, analysis_key: str, full: bool,
                 clock: Clock) -> None:  # fmt: skip
        self._items = items
        self._run_id = run_id
        self._clock = clock
        self._current = {} if full else items.current_keys(analysis_key)
        self._analysis_key = analysis_key
        self.analysed = 0
        """Items downloaded and analysed in this run."""
        self.reused = 0
        """Items whose stored analysis was re-evaluated without a download."""

    def is_current(self, item: ServerItem) -> bool:
        """True when the stored analysis matches the item's ``updated_at`` and ``size``."""
        if not item.updated_at:  # no timestamp from the server: never trust the cache
            return False
        return self._current.get(item.id) == (item.updated_at, item.size)

    def load(self, item: ServerItem) -> StoredAnalysis | None:
        """The stored analysis, or None (and the item is forgotten) when it is unreadable."""
        analysis = self._items.load(item.id)
        if analysis is None:
            logger.warning("%s: its stored analysis is unreadable; it is downloaded next run",
                           item.url)  # fmt: skip
            self._items.forget(item.id)
            return None
        self.reused += 1
        return analysis

    def store(self, item: ServerItem, analysis: StoredAnalysis) -> None:
        """Keep the analysis of freshly downloaded content (its own small transaction).

        A history that cannot take it (a full disk, say) costs the next run a download of this
        item, never its audit in this run: the failure is logged, by type only.
        """
        try:
            self._items.store(
                item,
                analysis,
                analysis_key=self._analysis_key,
                run_id=self._run_id,
                now=self._clock(),
            )
        except sqlite3.Error as error:
            logger.warning("%s: its analysis was not stored (%s)", item.url, type(error).__name__)
            return
        self.analysed += 1


# --- one nightly run --------------------------------------------------------------------------


@dataclass(slots=True)
class NightlyRun:
    """A run being recorded: its id, its skip-unchanged cache, and how to finish it."""

    history: History
    run_id: int
    started: str
    cache: HistoryCache
    clock: Clock
    finished: bool = False

    def finish(self, result: AuditResult, *, scope: str) -> RunChanges:
        """Compare with the last complete run of ``scope`` and record everything at once.

        The only transaction that marks the run ``complete``: findings, counts and status.
        """
        reference = self.history.runs.last_complete(scope)
        known = self.history.findings.known(scope)
        changes = compare(
            result,
            known,
            reference=reference,
            now=self.started,
            run_id=self.run_id,
        )
        conn = self.history.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self.history.findings.record(scope, self.run_id, result, changes, now=self.started)
            self.history.runs.complete(
                self.run_id,
                result,
                changes,
                scope=scope,
                analysed=self.cache.analysed,
                reused=self.cache.reused,
                now=self.clock(),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.finished = True
        return changes

    def fail(self, reason: str) -> None:
        """Record that the run ended without a result (its findings are not recorded)."""
        self.history.runs.fail(self.run_id, reason, now=self.clock())
        self.finished = True


@contextlib.contextmanager
def open_run(
    path: Path,
    *,
    target: str,
    full: bool,
    analysis_key: str,
    clock: Clock = utc_now,
) -> Iterator[NightlyRun]:
    """Lock the history, mark interrupted runs failed, and record a new run.

    Raises :class:`HistoryError` (exit 2) when another run holds the lock. A run that leaves
    the block without :meth:`NightlyRun.finish` is recorded as failed with the error's kind.
    """
    lock = _Lock(path)
    lock.acquire()
    try:
        with History(path) as history:
            now = clock()
            abandoned = history.runs.abandon_running(now=now)
            if abandoned:
                logger.warning("%s: %d interrupted run(s) marked failed", path, abandoned)
            run_id = history.runs.begin(target=target, full=full, now=now, tool=__version__)
            cache = HistoryCache(
                history.items, run_id=run_id, analysis_key=analysis_key, full=full, clock=clock
            )
            run = NightlyRun(history=history, run_id=run_id, started=now, cache=cache, clock=clock)
            try:
                yield run
            except BaseException as error:
                if not run.finished:
                    run.fail(failure_reason(error))
                raise
            if not run.finished:
                run.fail("the run ended without a result")
    finally:
        lock.release()


def failure_reason(error: BaseException) -> str:
    """Why a run failed, for the history: our own messages (never secrets) or the error type."""
    from tableau_audit.errors import TableauAuditError

    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if isinstance(error, TableauAuditError):
        return " ".join(str(error).splitlines())[:500]
    return f"internal error ({type(error).__name__})"
