"""Read .hyper extracts safely: catalogue, row counts and a bounded, in-memory value sample.

One :class:`HyperSession` serves a whole run. It starts a single hyperd lazily, on the first
file that needs it, with telemetry off and hyperd's own log disabled (``log_config=''``) and
pointed at a private directory anyway (hyperd logs hold query text). Each file is copied into
its own private temporary directory (the copy is the input, never a cache), attached read-only
(:func:`_attach`) and deleted in a ``finally``. The catalog takes two queries
(:mod:`~tableau_audit.parsing.hyper_catalog`) and each table's sample one row
(:func:`~tableau_audit.parsing.hyper_sql.aggregated_query`). ``tableauhyperapi`` is imported
inside the methods, so importing this module costs nothing. :meth:`HyperSession.prestart` starts
hyperd on a background thread so that its ~30 ms start overlaps other work (a session adopts
a hyperd the console script started even earlier: :mod:`tableau_audit.hyperd`), and
:meth:`HyperSession.close` terminates it at once (it only ever holds read-only attachments of
private copies, so a graceful shutdown has nothing to save and costs ~20 ms) before removing
the private directory.

A bad file never raises: it yields ``HyperInventory(error="<label>: <reason>")``. Reasons are
chosen from a fixed vocabulary (:func:`~.hyper_errors.describe`); Hyper's own messages are
never copied, because some of them quote data (``invalid input syntax for integer: '<v>'``).

Sampled values live in a :class:`ValueSample` in memory only; its ``repr`` shows counts.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from tableau_audit.hyperd import claim_early_start, make_private_root, start_process, stop_process
from tableau_audit.model import HyperInventory, HyperTable
from tableau_audit.parsing.detect import HEAD_SIZE, FileFormat, sniff
from tableau_audit.parsing.hyper_catalog import read_catalog
from tableau_audit.parsing.hyper_errors import ReadFailure, describe
from tableau_audit.parsing.hyper_sql import (
    DEFAULT_WINDOW_FACTOR,
    SEPARATOR,
    UNSAMPLED_SQL_TYPES,
    aggregated_query,
    plan_sample,
    sample_query,
)
from tableau_audit.parsing.hyper_workbook import standalone_workbook, tableau_datatype
from tableau_audit.parsing.package import Member
from tableau_audit.parsing.read_gate import ReadGate

if TYPE_CHECKING:
    from tableauhyperapi import Connection, HyperProcess

__all__ = [
    "DEFAULT_SAMPLE_SIZE",
    "HyperSession",
    "ValueSample",
    "standalone_workbook",
    "tableau_datatype",
]

logger = logging.getLogger(__name__)

DEFAULT_SAMPLE_SIZE = 1000
"""Values sampled per column unless the caller asks otherwise (issue 3)."""

ColumnKey = tuple[str, str]
"""``(table qualified name "schema.table", column name)``."""

_COPY_NAME = "extract.hyper"  # never derived from a member name (house style)
_ALIAS = "extract"  # the attached copy's name inside its connection (two-part names find it)

_PRECHECK_REASONS: Mapping[FileFormat, str] = {
    FileFormat.EMPTY: "empty file (zero bytes), not a Hyper extract",
    FileFormat.TDE: "legacy .tde extract; the Hyper API cannot open it",
    FileFormat.LFS_POINTER: "Git LFS pointer, not the extract itself",
    FileFormat.PACKAGE: "ZIP package, not a Hyper extract",
    FileFormat.XML: "XML document, not a Hyper extract",
}


@dataclass(frozen=True, slots=True, kw_only=True, repr=False, eq=False)
class ValueSample:
    """Sampled values per column, as text, NULL and blank values removed. In memory only.

    ``repr``/``str`` show counts, never values, so a sample that reaches a log line or a
    traceback leaks nothing.
    """

    values: Mapping[ColumnKey, tuple[str, ...]] = field(default_factory=dict)
    """``(schema.table, column)`` → sampled non-blank values (duplicates kept, draw order)."""
    rows_sampled: Mapping[str, int] = field(default_factory=dict)
    """``schema.table`` → rows read for the sample (the denominator for ratios)."""
    table_errors: Mapping[str, str] = field(default_factory=dict)
    """``schema.table`` → why that table could not be sampled (its columns are absent)."""
    error: str | None = None
    """Set when the file could not be read at all."""

    def get(self, table: str, column: str) -> tuple[str, ...] | None:
        """Values of one column, or None when it was not sampled."""
        return self.values.get((table, column))

    def counts(self) -> Mapping[ColumnKey, int]:
        """Number of sampled values per column."""
        return {key: len(vals) for key, vals in self.values.items()}

    def __repr__(self) -> str:
        total = sum(len(v) for v in self.values.values())
        return (
            f"ValueSample(columns={len(self.values)}, values={total}, "
            f"tables={len(self.rows_sampled)}, table_errors={len(self.table_errors)}, "
            f"error={self.error!r})"
        )


def _read_head(data: Path | bytes) -> bytes:
    if isinstance(data, bytes):
        return data[:HEAD_SIZE]
    try:
        with data.open("rb") as handle:
            return handle.read(HEAD_SIZE)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ReadFailure(f"cannot read the file ({reason})") from None


def _precheck(data: Path | bytes) -> None:
    """Reject what is certainly not a .hyper before hyperd sees it."""
    fmt = sniff(_read_head(data))
    if fmt is not FileFormat.HYPER:
        raise ReadFailure(
            _PRECHECK_REASONS.get(fmt, "not a Hyper file (the 'Hyper' magic bytes are missing)")
        )


def _fetch_columns(connection: Connection, sql: str, width: int) -> tuple[int, list[list[str]]]:
    """Run a sample query; (rows read, non-blank text values per column, in draw order)."""
    (row,) = connection.execute_list_query(aggregated_query(sql, width))
    kept: list[list[str]] = []
    for index in range(width):
        joined, count = row[1 + 2 * index], row[2 + 2 * index]
        parts = [] if joined is None else joined.split(SEPARATOR)
        if len(parts) != count:  # a value holds the separator: the split would be wrong
            return _fetch_rows(connection, sql, width)
        kept.append([value for value in parts if value.strip()])
    return int(row[0]), kept


def _fetch_rows(connection: Connection, sql: str, width: int) -> tuple[int, list[list[str]]]:
    """:func:`_fetch_columns` row by row (exact whatever the values hold; ~2× slower)."""
    kept: list[list[str]] = [[] for _ in range(width)]
    rows = 0
    with connection.execute_query(sql) as result:
        for row in result:
            rows += 1
            for index, value in enumerate(row):
                if value is not None and value.strip():
                    kept[index].append(value)
    return rows, kept


def _server_alive(endpoint: Any) -> bool:
    """Whether hyperd still answers (tells a bad file from a dead server)."""
    from tableauhyperapi import Connection

    try:
        with Connection(endpoint) as probe:
            probe.execute_scalar_query("SELECT 1")
    except Exception:
        return False
    return True


@dataclass(frozen=True, slots=True, eq=False)
class _Hyperd:
    """One started hyperd as readers see it: its endpoint, a plain value.

    NOTE: readers never touch the ``HyperProcess`` itself: another reader may shut it down
    (after a crash), which frees its native handle, and reading ``.endpoint`` from a freed
    handle crashed the interpreter. Identity tells one start from the next.
    """

    endpoint: Any


_Outcome = tuple[HyperInventory, ValueSample]
"""What reading one file gives (an inventory read alone comes with an empty sample)."""


def _incomplete(outcome: _Outcome) -> bool:
    """Whether a read failed, wholly or for some table (hyperd may have died under it)."""
    inventory, sample = outcome
    return inventory.error is not None or bool(sample.table_errors)


def _attach(endpoint: Any, copy: Path) -> Connection:
    """A connection whose one database is ``copy``, attached read-only when Hyper allows it.

    Read-only attachment (``access_mode 'readonly'``) takes ~2.5 ms in hyperd against ~7 ms for
    ``CreateMode.NONE``, and hyperd can then never write to the copy. A Hyper that refuses the
    option, or a file it cannot attach that way, gets the API's documented ``CreateMode.NONE``
    attachment, whose error (if it fails too) is the one reported.
    """
    from tableauhyperapi import Connection, CreateMode, escape_name

    connection = Connection(endpoint)
    try:
        connection.execute_command(
            f"ATTACH DATABASE {escape_name(str(copy))} AS {escape_name(_ALIAS)} "
            "WITH (access_mode = 'readonly')"
        )
    except Exception as error:
        logger.debug("read-only attachment refused (%s)", type(error).__name__)
        connection.close()
        return Connection(endpoint, str(copy), CreateMode.NONE)
    return connection


class HyperSession:
    """One hyperd for a whole run; reads .hyper files given as paths, bytes or package members.

    Use as a context manager (``with HyperSession() as hyper: ...``). Nothing starts until the
    first file needs hyperd, or :meth:`prestart` is called; :attr:`starts` counts how many
    times hyperd was started (a run should start it at most once).

    Several threads may read files at once, each through its own connection. When hyperd dies
    during a read (a hostile file, the OOM killer), no one can tell which file being read killed
    it: every read it broke is done again alone, behind a :class:`ReadGate`, on a restarted
    hyperd. The file that kills it again is reported ("hyperd stopped ..."); the others read
    normally, so each file's outcome is what a one-thread run gives, whatever the timing.
    """

    _total_starts: ClassVar[int] = 0

    def __init__(
        self,
        *,
        sample_size: int = DEFAULT_SAMPLE_SIZE,
        scan_window: int | None = None,
    ) -> None:
        """``scan_window``: rows a sample may span (default ``100 × size``); bounds its cost."""
        if sample_size < 1:
            raise ValueError("sample_size must be at least 1")
        self._sample_size = sample_size
        self._scan_window = scan_window
        self._root: Path | None = None
        self._process: HyperProcess | None = None
        self._running: _Hyperd | None = None
        """What readers see of ``_process`` (set and cleared with it, under the lock)."""
        self._start_error: str | None = None
        self._starts = 0
        self._closed = False
        self._closing: threading.Thread | None = None
        """The thread of a :meth:`close_soon`, once called."""
        # NOTE: the lock keeps concurrent readers and prestart()'s thread from starting two
        # hyperds, replacing a healthy one or making two private roots.
        self._lock = threading.RLock()
        self._starter: threading.Thread | None = None
        self._launched = threading.Event()
        """Set once a start has imported the Hyper API (hyperd is then starting), or failed."""
        self._early = claim_early_start()
        """hyperd started before this session existed (:mod:`tableau_audit.hyperd`), if any."""
        if self._early is not None:
            self._root = self._early.root
            self._launched = self._early.launched
        self._gate = ReadGate()
        self._rereads = 0

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> HyperSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop hyperd and remove the private directory (copies and hyperd's log dir).

        hyperd is terminated and reaped before the directory goes, so nothing can be written
        into it afterwards. Waits for a :meth:`close_soon` in progress.
        """
        closing = self._closing
        if closing is not None:
            closing.join()
        self._close_now()  # NOTE: nothing left to do after close_soon() (each step is once)

    def close_soon(self) -> None:
        """Start closing on a background thread: for a caller that will read no more files.

        Stopping hyperd takes ~5 ms of waiting for it to exit; the caller's remaining work
        (classifying the last file) hides it. :meth:`close` waits for the end.
        """
        with self._lock:
            if self._closing is not None:
                return
            self._closing = threading.Thread(
                target=self._close_now, name="tableau-audit-hyperd-stop"
            )
            self._closing.start()  # NOTE: under the lock, so that close() never joins it unstarted

    def _close_now(self) -> None:
        self._closed = True
        starter, self._starter = self._starter, None
        if starter is not None:
            starter.join()  # a start in progress must finish before the process can be stopped
        early, self._early = self._early, None
        if early is not None:
            early.stop()  # never used; its directory is our root, removed below
        with self._lock:
            self._drop_process()
        root, self._root = self._root, None
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)

    def prestart(self) -> None:
        """Start hyperd now on a background thread, so that the first file finds it running.

        Call it as soon as a run is known to read a .hyper. Calling it again, or after hyperd
        started, does nothing; a failed start is reported by the first file that needs hyperd.
        """
        with self._lock:
            if self._closed or self._process is not None or self._starter is not None:
                return
            self._private_root()  # made here, so that the first copy never waits for the start
            self._starter = threading.Thread(
                target=self._start_quietly, name="tableau-audit-hyperd-start", daemon=True
            )
            self._starter.start()

    def wait_launched(self, timeout: float) -> bool:
        """Wait until hyperd is starting (the Hyper API imported) or its start failed.

        Python work started before that slows the import, and so the first read, by as
        much: a caller with work to do while it waits for hyperd can do it from then on.
        """
        return self._launched.wait(timeout)

    @property
    def starts(self) -> int:
        """How many times this session started hyperd (0 before the first file, then 1)."""
        return self._starts

    @property
    def rereads(self) -> int:
        """Files read again alone because hyperd died while they were being read."""
        return self._rereads

    @classmethod
    def total_starts(cls) -> int:
        """hyperd starts by every session in this Python process (for benchmarks)."""
        return cls._total_starts

    @property
    def temp_dir(self) -> Path | None:
        """The session's private directory while it exists (for tests and diagnostics)."""
        return self._root

    # -- public reading API --------------------------------------------------------------

    def inventory(self, data: Path | bytes | Member, *, label: str) -> HyperInventory:
        """Schemas, tables, columns (SQL type as text), row counts. Never raises for bad files.

        A packaged :class:`Member` is inflated straight into the private copy, never whole in
        memory; one that cannot be read raises :class:`~tableau_audit.errors.ParseError` (a
        package problem, not an extract one).
        """

        def read(connection: Connection) -> _Outcome:
            return HyperInventory(tables=read_catalog(connection)), ValueSample()

        return self._read(data, label, read)[0]

    def sample(
        self,
        data: Path | bytes | Member,
        *,
        label: str,
        columns: Sequence[tuple[str, str, str]] | None = None,
        size: int | None = None,
    ) -> ValueSample:
        """Bounded sample of ``columns`` (``(schema, table, column)``; None = every column)."""
        return self.inspect(data, label=label, columns=columns, size=size)[1]

    def inspect(
        self,
        data: Path | bytes | Member,
        *,
        label: str,
        columns: Sequence[tuple[str, str, str]] | None = None,
        size: int | None = None,
    ) -> tuple[HyperInventory, ValueSample]:
        """Inventory and sample from one private copy (cheaper than two calls).

        A :class:`Member` is inflated into the private copy, as for :meth:`inventory`.
        """
        limit = self._sample_size if size is None else size
        if limit < 1:
            raise ValueError("sample size must be at least 1")
        wanted = None if columns is None else frozenset(columns)

        def read(connection: Connection) -> _Outcome:
            started = time.perf_counter()
            tables = read_catalog(connection)
            sample = self._sample_tables(connection, tables, wanted, limit)
            logger.debug(
                "%s: %d tables, %d columns sampled in %.3f s",
                label,
                len(tables),
                len(sample.values),
                time.perf_counter() - started,
            )
            return HyperInventory(tables=tables), sample

        return self._read(data, label, read)

    # -- reading, and reading again alone ------------------------------------------------

    def _read(
        self, data: Path | bytes | Member, label: str, read: Callable[[Connection], _Outcome]
    ) -> _Outcome:
        """One file through ``read``; again, alone, when hyperd died during the read."""
        with self._gate.shared():
            outcome, hyperd = self._attempt(data, label, read)
        if hyperd is None or not _incomplete(outcome) or not self._lost(hyperd):
            return outcome
        with self._gate.exclusive():
            self._rereads += 1
            logger.debug("%s: hyperd stopped during the read; reading it again alone", label)
            return self._attempt(data, label, read)[0]

    def _attempt(
        self, data: Path | bytes | Member, label: str, read: Callable[[Connection], _Outcome]
    ) -> tuple[_Outcome, _Hyperd | None]:
        """``read`` on a fresh private copy; the hyperd it used (None: it never got that far)."""
        hyperd: _Hyperd | None = None
        try:
            with self._connect(data) as (connection, hyperd):
                return read(connection), hyperd
        except ReadFailure as failure:
            logger.debug("%s: %s", label, failure.reason)
            error = f"{label}: {failure.reason}"
            return (HyperInventory(error=error), ValueSample(error=error)), hyperd

    def _lost(self, hyperd: _Hyperd) -> bool:
        """Whether ``hyperd`` died or was replaced (by another reader) since a read used it."""
        with self._lock:
            replaced = self._running is not hyperd
        return replaced or not _server_alive(hyperd.endpoint)

    # -- internals -----------------------------------------------------------------------

    def _window(self, size: int) -> int:
        if self._scan_window is None:
            return DEFAULT_WINDOW_FACTOR * size
        return max(self._scan_window, size)

    def _private_root(self) -> Path:
        if self._closed:
            raise RuntimeError("HyperSession is closed")
        root = self._root
        if root is None:
            with self._lock:
                if self._root is None:
                    self._root = make_private_root()
                root = self._root
        return root

    def _start_quietly(self) -> None:
        """prestart()'s thread: start hyperd; a failure waits for the first file to report it."""
        try:
            self._hyperd()
        except ReadFailure:
            pass  # kept in _start_error
        except Exception as error:  # closed meanwhile, or a bug: the first file starts it again
            logger.debug("starting hyperd in the background failed (%s)", type(error).__name__)

    def _hyperd(self) -> _Hyperd:
        """The running hyperd, started on first use (or waited for, after prestart())."""
        with self._lock:
            return self._hyperd_locked()

    def _hyperd_locked(self) -> _Hyperd:
        if self._running is not None:
            return self._running
        if self._start_error is not None:
            raise ReadFailure(self._start_error)
        # NOTE: cleared only once taken: interrupted while waiting for it, close() still stops it
        process = self._early.take() if self._early is not None else None
        self._early = None
        if process is None:
            process = self._start_process()
        self._process, self._running = process, _Hyperd(endpoint=process.endpoint)
        self._starts += 1
        HyperSession._total_starts += 1
        return self._running

    def _start_process(self) -> HyperProcess:
        started = time.perf_counter()
        try:
            process = start_process(self._private_root(), on_imported=self._launched.set)
        except Exception as error:
            self._start_error = f"the Hyper engine could not be started ({type(error).__name__})"
            raise ReadFailure(self._start_error) from None
        logger.debug("hyperd started in %.3f s", time.perf_counter() - started)
        return process

    @contextmanager
    def _private_copy(self, data: Path | bytes | Member) -> Iterator[Path]:
        """A private copy of the file, removed when the block ends (even on error).

        A member that turns out corrupt half-way raises its ParseError; what was written goes.
        """
        workdir = Path(tempfile.mkdtemp(prefix="file-", dir=self._private_root()))
        try:
            target = workdir / _COPY_NAME
            try:
                if isinstance(data, bytes):
                    target.write_bytes(data)
                elif isinstance(data, Member):
                    with target.open("wb") as out:
                        data.copy_to(out.write)
                else:
                    shutil.copyfile(data, target)
                target.chmod(0o600)
            except OSError as error:
                reason = error.strerror or type(error).__name__
                raise ReadFailure(f"cannot copy the file ({reason})") from None
            yield target
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    @contextmanager
    def _connect(self, data: Path | bytes | Member) -> Iterator[tuple[Connection, _Hyperd]]:
        """A read-only connection to a private copy of ``data``, and the hyperd serving it."""
        if not isinstance(data, Member):  # NOTE: the package identified a member as .hyper
            _precheck(data)
        with self._private_copy(data) as copy:
            connection, hyperd = self._open(copy)
            try:
                yield connection, hyperd
            finally:
                try:
                    connection.close()
                except Exception as error:
                    logger.debug("closing a .hyper connection failed (%s)", type(error).__name__)

    def _open(self, copy: Path) -> tuple[Connection, _Hyperd]:
        """Attach ``copy`` read-only; restart hyperd once if it has died."""
        hyperd = self._hyperd()
        try:
            return _attach(hyperd.endpoint, copy), hyperd
        except Exception as error:
            if _server_alive(hyperd.endpoint):
                raise ReadFailure(describe(error, "cannot open the .hyper file")) from None
        # NOTE: a killed hyperd (OOM killer, crash on a hostile file) would otherwise make every
        # later extract of the run unreadable with a misleading reason.
        self._replace(hyperd)
        hyperd = self._hyperd()
        try:
            return _attach(hyperd.endpoint, copy), hyperd
        except Exception as error:
            raise ReadFailure(describe(error, "cannot open the .hyper file")) from None

    def _replace(self, dead: _Hyperd) -> None:
        """Drop ``dead`` so that the next read starts a new hyperd (once, whoever asks first)."""
        with self._lock:
            if self._running is dead:
                logger.warning("hyperd stopped unexpectedly; starting it again")
                self._drop_process()

    def _drop_process(self) -> None:
        """Stop hyperd (under the lock, or once no reader is left)."""
        process, self._process, self._running = self._process, None, None
        if process is None:
            return
        stop_process(process)

    def _sample_tables(
        self,
        connection: Connection,
        tables: Sequence[HyperTable],
        wanted: frozenset[tuple[str, str, str]] | None,
        size: int,
    ) -> ValueSample:
        values: dict[ColumnKey, tuple[str, ...]] = {}
        rows_sampled: dict[str, int] = {}
        errors: dict[str, str] = {}
        for table in tables:
            names = [
                c.name
                for c in table.columns
                if c.sql_type not in UNSAMPLED_SQL_TYPES
                and (wanted is None or (table.schema, table.name, c.name) in wanted)
            ]
            if not names:
                continue
            qualified = table.qualified_name
            kept: list[list[str]]
            if table.row_count == 0:
                rows, kept = 0, [[] for _ in names]
            else:
                plan = plan_sample(table.row_count, size=size, window=self._window(size))
                sql = sample_query(table.schema, table.name, names, plan)
                try:
                    rows, kept = _fetch_columns(connection, sql, len(names))
                except Exception as error:
                    errors[qualified] = describe(error, f"cannot sample table {qualified}")
                    continue
            rows_sampled[qualified] = rows
            values.update(
                ((qualified, name), tuple(vals)) for name, vals in zip(names, kept, strict=True)
            )
        return ValueSample(
            values=MappingProxyType(values),
            rows_sampled=MappingProxyType(rows_sampled),
            table_errors=MappingProxyType(errors),
        )
