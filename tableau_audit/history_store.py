"""The tables of the run history, one small class each (SQL only; no policy).

:mod:`tableau_audit.history` decides when to call what, inside which transaction; these
classes only read and write rows. Every statement uses parameters, never string formatting
of stored or server-provided text.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import field

from tableau_audit.changes import ChangedFinding, KnownFinding, RunChanges, RunRef
from tableau_audit.findings import AuditResult, Finding, Severity
from tableau_audit.history_codec import AnalysisDecodeError, decode, encode
from tableau_audit.model import ServerItem
from tableau_audit.records import frozen
from tableau_audit.sources.cache import StoredAnalysis

__all__ = ["FindingStore", "ItemStore", "RunRecord", "RunStore"]

logger = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the process ended before the run finished"


@frozen
class RunRecord:
    """One row of ``runs``: when, what, how it ended, and its counts."""

    id: int
    started: str
    ended: str | None
    status: str
    """``running`` (in progress, or killed and not yet noticed), ``complete`` or ``failed``."""
    complete: bool
    """Every in-scope item was audited (False when some could not be fetched or parsed)."""
    target: str
    scope: str
    full: bool
    items: int = 0
    items_analysed: int = 0
    items_reused: int = 0
    items_skipped: int = 0
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    """Gating findings per severity label, worst first."""
    new: int = 0
    resolved: int = 0
    persisting: int = 0
    unchecked: int = 0
    reference_run: int | None = None
    failure: str = ""


_SEVERITY_COLUMNS = tuple(s.label for s in sorted(Severity, reverse=True))


class RunStore:
    """The ``runs`` table."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def begin(self, *, target: str, full: bool, now: str, tool: str) -> int:
        """A new ``running`` row (its own transaction); returns its id."""
        cursor = self.conn.execute(
            "INSERT INTO runs (started, status, target, full, tool_version) "
            "VALUES (?, 'running', ?, ?, ?)",
            (now, target, int(full), tool),
        )
        return int(cursor.lastrowid or 0)

    def abandon_running(self, *, now: str) -> int:
        """Mark runs left ``running`` by a killed process as failed (call under the lock)."""
        cursor = self.conn.execute(
            "UPDATE runs SET status = 'failed', ended = ?, failure = ? WHERE status = 'running'",
            (now, INTERRUPTED),
        )
        return cursor.rowcount

    def last_complete(self, scope: str) -> RunRef | None:
        """The newest complete run of ``scope``: what the next run is compared with."""
        row = self.conn.execute(
            "SELECT id, started FROM runs WHERE status = 'complete' AND scope = ? "
            "ORDER BY id DESC LIMIT 1",
            (scope,),
        ).fetchone()
        return RunRef(id=int(row[0]), started=str(row[1])) if row else None

    def complete(
        self,
        run_id: int,
        result: AuditResult,
        changes: RunChanges,
        *,
        scope: str,
        analysed: int,
        reused: int,
        now: str,
    ) -> None:
        """Counts, scope and ``status = 'complete'`` (inside the caller's final transaction)."""
        severities = {s.label: 0 for s in Severity}
        for finding in result.findings:
            severities[finding.severity.label] += 1
        counts = changes.counts
        self.conn.execute(
            "UPDATE runs SET status = 'complete', ended = ?, complete = ?, scope = ?, "
            "items = ?, items_analysed = ?, items_reused = ?, items_skipped = ?, findings = ?, "
            "critical = ?, high = ?, medium = ?, low = ?, info = ?, new = ?, resolved = ?, "
            "persisting = ?, unchecked = ?, reference_run = ? WHERE id = ?",
            (
                now,
                int(result.complete),
                scope,
                len(result.items),
                analysed,
                reused,
                len(result.skipped),
                len(result.findings),
                *(severities[label] for label in _SEVERITY_COLUMNS),
                counts["new"],
                counts["resolved"],
                counts["persisting"],
                counts["unchecked"],
                changes.reference.id if changes.reference else None,
                run_id,
            ),
        )

    def fail(self, run_id: int, reason: str, *, now: str) -> None:
        """``status = 'failed'`` with the reason (its own transaction)."""
        self.conn.execute(
            "UPDATE runs SET status = 'failed', ended = ?, failure = ? WHERE id = ?",
            (now, reason, run_id),
        )

    def list(self, limit: int | None = None) -> list[RunRecord]:
        """Runs, newest first (``limit`` of them)."""
        cursor = self.conn.cursor()
        cursor.row_factory = sqlite3.Row
        cursor.execute(
            "SELECT * FROM runs ORDER BY id DESC LIMIT ?", (-1 if limit is None else limit,)
        )
        return [_record(row) for row in cursor.fetchall()]


def _record(row: sqlite3.Row) -> RunRecord:
    def count(column: str) -> int:
        return int(row[column])

    return RunRecord(
        id=count("id"),
        started=row["started"],
        ended=row["ended"],
        status=row["status"],
        complete=bool(row["complete"]),
        target=row["target"],
        scope=row["scope"],
        full=bool(row["full"]),
        items=count("items"),
        items_analysed=count("items_analysed"),
        items_reused=count("items_reused"),
        items_skipped=count("items_skipped"),
        findings=count("findings"),
        by_severity={column: count(column) for column in _SEVERITY_COLUMNS},
        new=count("new"),
        resolved=count("resolved"),
        persisting=count("persisting"),
        unchecked=count("unchecked"),
        reference_run=row["reference_run"],
        failure=row["failure"],
    )


class FindingStore:
    """The ``findings`` (state per fingerprint) and ``run_findings`` (events per run) tables."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def known(self, scope: str) -> dict[str, KnownFinding]:
        """Every finding of ``scope`` as of the last complete run (open or resolved)."""
        rows = self.conn.execute(
            "SELECT fingerprint, rule_id, severity, message, artifact, object_path, first_seen, "
            "resolved_run FROM findings WHERE scope = ?",
            (scope,),
        ).fetchall()
        return {
            str(fp): KnownFinding(
                fingerprint=str(fp),
                rule_id=str(rule),
                severity=Severity.parse(str(severity)),
                message=str(message),
                artifact=str(artifact),
                object_path=tuple(json.loads(str(path))),
                first_seen=str(first),
                open=resolved is None,
            )
            for fp, rule, severity, message, artifact, path, first, resolved in rows
        }

    def record(
        self, scope: str, run_id: int, result: AuditResult, changes: RunChanges, *, now: str
    ) -> None:
        """Upsert every present finding, close resolved ones, log the run's changes."""
        present = [*result.findings, *(s.finding for s in result.suppressed), *result.baseline]
        self.conn.executemany(
            "INSERT INTO findings (scope, fingerprint, rule_id, severity, artifact, object_path, "
            "message, first_seen_run, first_seen, last_seen_run, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, fingerprint) DO UPDATE SET rule_id = excluded.rule_id, "
            "severity = excluded.severity, artifact = excluded.artifact, "
            "object_path = excluded.object_path, message = excluded.message, "
            "last_seen_run = excluded.last_seen_run, last_seen = excluded.last_seen, "
            "resolved_run = NULL, resolved_at = NULL",
            [_finding_row(scope, f, run_id, now) for f in _unique(present)],
        )
        self.conn.executemany(
            "UPDATE findings SET resolved_run = ?, resolved_at = ? "
            "WHERE scope = ? AND fingerprint = ?",
            [(run_id, now, scope, f.fingerprint) for f in changes.resolved],
        )
        # NOTE: persisting findings are not logged per run (the state table has them), so the
        # log grows with what changes, not with the size of the site times the nights.
        events = [*changes.new, *changes.resolved, *changes.unchecked]
        self.conn.executemany(
            "INSERT INTO run_findings (run_id, fingerprint, rule_id, severity, change) "
            "VALUES (?, ?, ?, ?, ?)",
            [_event_row(run_id, f) for f in events],
        )


def _unique(findings: Iterable[Finding]) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for finding in findings:
        seen.setdefault(finding.fingerprint, finding)
    return list(seen.values())


def _finding_row(scope: str, finding: Finding, run_id: int, now: str) -> tuple[object, ...]:
    location = finding.location
    path = json.dumps(list(location.object_path), ensure_ascii=False)
    return (scope, finding.fingerprint, finding.rule_id, finding.severity.label,
            location.artifact, path, finding.message, run_id, now, run_id, now)  # fmt: skip


def _event_row(run_id: int, finding: ChangedFinding) -> tuple[object, ...]:
    return (run_id, finding.fingerprint, finding.rule_id, finding.severity.label,
            finding.change.value)  # fmt: skip


class ItemStore:
    """The ``items`` table: skip-unchanged keys and stored analyses."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def current_keys(self, analysis_key: str) -> dict[str, tuple[str, int | None]]:
        """Item id → (``updated_at``, size) of every analysis stored under ``analysis_key``."""
        rows = self.conn.execute(
            "SELECT item_id, updated_at, size FROM items WHERE analysis_key = ?", (analysis_key,)
        ).fetchall()
        return {str(i): (str(u), None if s is None else int(s)) for i, u, s in rows}

    def load(self, item_id: str) -> StoredAnalysis | None:
        """The stored analysis of an item; None when missing or unreadable."""
        row = self.conn.execute(
            "SELECT analysis FROM items WHERE item_id = ?", (item_id,)
        ).fetchone()
        if row is None:
            return None
        try:
            return decode(str(row[0]))
        except AnalysisDecodeError as error:
            logger.debug("item %s: %s", item_id, error)
            return None

    def store(
        self,
        item: ServerItem,
        analysis: StoredAnalysis,
        *,
        analysis_key: str,
        run_id: int,
        now: str,
    ) -> None:
        """Insert or replace the item's row (one statement: its own transaction)."""
        self.conn.execute(
            "INSERT OR REPLACE INTO items (item_id, kind, name, project, updated_at, size, "
            "analysis_key, analysed_at, analysed_run, analysis) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item.id, item.kind.value, item.name, item.project_name, item.updated_at,
             item.size, analysis_key, now, run_id, encode(analysis)),
        )  # fmt: skip

    def forget(self, item_id: str) -> None:
        """Drop an item's stored analysis (it is downloaded again next time)."""
        self.conn.execute("DELETE FROM items WHERE item_id = ?", (item_id,))
