"""Schema of the run history and its migrations (``PRAGMA user_version``).

Version 0 is an empty database. Each migration runs in one transaction together with the
``user_version`` it sets, so a history is always at exactly one version; a history written by
a newer release (a version above :data:`CURRENT`) is refused rather than guessed at.

What is stored, and what never is: run times and counts; per item its server id, kind, name,
project, ``updatedAt``, size and the stored analysis
(``history_codec``: the redacted model and column classifications); per finding its
fingerprint, rule, severity, message (names only), place and the runs that first and last saw
it and resolved it. Never a sampled value, a password or a token.
"""

from __future__ import annotations

import sqlite3

from tableau_audit.errors import TableauAuditError

__all__ = ["CURRENT", "MIGRATIONS", "HistoryError", "migrate", "version"]


class HistoryError(TableauAuditError):
    """The history file cannot be used (not a history, newer schema, locked, ...)."""


_V1 = (
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started TEXT NOT NULL,
        ended TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
        complete INTEGER NOT NULL DEFAULT 0,
        target TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL DEFAULT '',
        full INTEGER NOT NULL DEFAULT 0,
        tool_version TEXT NOT NULL,
        items INTEGER NOT NULL DEFAULT 0,
        items_analysed INTEGER NOT NULL DEFAULT 0,
        items_reused INTEGER NOT NULL DEFAULT 0,
        items_skipped INTEGER NOT NULL DEFAULT 0,
        findings INTEGER NOT NULL DEFAULT 0,
        critical INTEGER NOT NULL DEFAULT 0,
        high INTEGER NOT NULL DEFAULT 0,
        medium INTEGER NOT NULL DEFAULT 0,
        low INTEGER NOT NULL DEFAULT 0,
        info INTEGER NOT NULL DEFAULT 0,
        new INTEGER NOT NULL DEFAULT 0,
        resolved INTEGER NOT NULL DEFAULT 0,
        persisting INTEGER NOT NULL DEFAULT 0,
        unchecked INTEGER NOT NULL DEFAULT 0,
        reference_run INTEGER REFERENCES runs (id),
        failure TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX runs_by_scope ON runs (scope, status, id)",
    """CREATE TABLE items (
        item_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        project TEXT,
        updated_at TEXT NOT NULL,
        size INTEGER,
        content_hash TEXT NOT NULL,
        analysis_key TEXT NOT NULL,
        analysed_at TEXT NOT NULL,
        analysed_run INTEGER REFERENCES runs (id),
        analysis TEXT NOT NULL
    )""",
    """CREATE TABLE findings (
        scope TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        artifact TEXT NOT NULL,
        object_path TEXT NOT NULL,
        message TEXT NOT NULL,
        first_seen_run INTEGER NOT NULL REFERENCES runs (id),
        first_seen TEXT NOT NULL,
        last_seen_run INTEGER NOT NULL REFERENCES runs (id),
        last_seen TEXT NOT NULL,
        resolved_run INTEGER REFERENCES runs (id),
        resolved_at TEXT,
        PRIMARY KEY (scope, fingerprint)
    )""",
    """CREATE TABLE run_findings (
        run_id INTEGER NOT NULL REFERENCES runs (id),
        fingerprint TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        severity TEXT NOT NULL,
        change TEXT NOT NULL
            CHECK (change IN ('new', 'persisting', 'resolved', 'unchecked')),
        PRIMARY KEY (run_id, fingerprint)
    )""",
)
"""Version 1: runs, items (skip-unchanged keys and stored analyses), findings, run findings."""

_V2 = (
    "DROP TABLE items",
    """CREATE TABLE items (
        item_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        project TEXT,
        updated_at TEXT NOT NULL,
        size INTEGER,
        analysis_key TEXT NOT NULL,
        analysed_at TEXT NOT NULL,
        analysed_run INTEGER REFERENCES runs (id),
        analysis TEXT NOT NULL
    )""",
)
"""Version 2: items without the content hash nothing read. The analyses version 1 stored go
too (they may hold database user names, which stored analyses no longer keep): each item is
downloaded once more on the next run. Runs and findings are kept."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2)
"""``MIGRATIONS[n]`` takes a history from version ``n`` to ``n + 1``."""

CURRENT = len(MIGRATIONS)


def version(conn: sqlite3.Connection) -> int:
    """The schema version of the open database (0 for a new, empty one)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, *, label: str, target: int = CURRENT) -> int:
    """Bring the database up to ``target``, one transaction per step; returns the old version.

    ``conn`` must be in autocommit mode (``isolation_level=None``): each step is an explicit
    ``BEGIN IMMEDIATE`` … ``COMMIT`` that includes its ``PRAGMA user_version``.
    """
    found = version(conn)
    if found > CURRENT:
        raise HistoryError(
            f"{label}: written by a newer tableau-audit (schema {found}, this one reads up "
            f"to {CURRENT})"
        )
    for step in range(found, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version(conn) != step:  # another process migrated it meanwhile
                conn.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return found
