"""Nightly audits: ``tableau-audit history`` and the ``--history`` options of ``server``.

``tableau-audit server --history PATH`` records the run in a SQLite history, downloads only the
items that changed since they were last analysed (``--full`` downloads everything), states
what is new, resolved and persisting since the last complete run, gates on new findings only
with ``--fail-on-new``, and posts a JSON summary to ``--notify-webhook URL`` when it ends.
``tableau-audit history --history PATH`` lists the recorded runs with their counts and trend.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from tableau_audit.cli import EXIT_FINDINGS, EXIT_OK, CliError, cli, cli_errors, emit, exit_code
from tableau_audit.findings import AuditResult, Severity
from tableau_audit.records import frozen

if TYPE_CHECKING:
    from tableau_audit.config import AuditConfig
    from tableau_audit.history import NightlyRun, RunRecord
    from tableau_audit.model import SiteSnapshot
    from tableau_audit.sources.cache import ContentCache
    from tableau_audit.sources.server import ServerSettings

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

WEBHOOK_ENV = "TABLEAU_AUDIT_WEBHOOK"


def history_options(func: F) -> F:
    """``--history``, ``--full``, ``--fail-on-new`` and ``--notify-webhook``."""
    options = [
        click.option(
            "--history",
            "history_path",
            type=click.Path(dir_okay=False, path_type=Path),
            metavar="PATH",
            help="Record the run in this SQLite history and download only what changed since "
            "the last run; reports say what is new, resolved and persisting.",
        ),
        click.option(
            "--full",
            is_flag=True,
            help="With --history: download and analyse every item, changed or not.",
        ),
        click.option(
            "--fail-on-new",
            is_flag=True,
            help="With --history: exit 1 only for new findings at or above --fail-on.",
        ),
        click.option(
            "--notify-webhook",
            "webhook",
            envvar=WEBHOOK_ENV,
            metavar="URL",
            help="With --history: POST a JSON summary (new critical/high findings) here when "
            f"the run ends [env: {WEBHOOK_ENV}, which keeps a token out of `ps`].",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@frozen
class NightlyOptions:
    """The nightly options of one ``server`` run."""

    history: Path | None = None
    full: bool = False
    fail_on_new: bool = False
    webhook: str | None = dataclasses.field(default=None, repr=False)

    def check(self) -> NightlyOptions:
        """Usage errors (exit 2) for options that need ``--history``; the URL's scheme."""
        from tableau_audit.notify import check_url

        if self.history is None:
            needs = [
                name
                for name, on in (
                    ("--full", self.full),
                    ("--fail-on-new", self.fail_on_new),
                    ("--notify-webhook", bool(self.webhook)),
                )
                if on
            ]
            if needs:
                raise CliError(f"{' and '.join(needs)} need(s) --history PATH")
        if self.webhook:
            check_url(self.webhook)
        return self


class NightlyRecorder:
    """What the ``server`` command holds during a run: the cache, and how to finish."""

    def __init__(self, run: NightlyRun | None, target: str) -> None:
        self._run = run
        self.target = target
        """Server URL and site, for the history and the webhook (never credentials)."""
        self.result: AuditResult | None = None

    @property
    def cache(self) -> ContentCache | None:
        """The skip-unchanged cache, None without ``--history``."""
        return self._run.cache if self._run is not None else None

    def finish(
        self, result: AuditResult, snapshot: SiteSnapshot, settings: ServerSettings
    ) -> AuditResult:
        """Record the run (the final transaction) and attach what changed to the result."""
        if self._run is None:
            return result
        changes = self._run.finish(result, scope=scope_key(snapshot, settings))
        self.result = dataclasses.replace(result, changes=changes)
        return self.result


@contextlib.contextmanager
def nightly(
    options: NightlyOptions, *, settings: ServerSettings, config: AuditConfig
) -> Iterator[NightlyRecorder]:
    """Lock and open the history (when asked), and post the webhook when the run ends."""
    target = settings.label
    if options.history is None:
        yield NightlyRecorder(None, target)
        return
    from tableau_audit.history import failure_reason, open_run
    from tableau_audit.history_codec import analysis_key

    key = analysis_key(config.policy)
    run_id: int | None = None
    try:
        with open_run(options.history, target=target, full=options.full, analysis_key=key) as run:
            run_id = run.run_id
            recorder = NightlyRecorder(run, target)
            yield recorder
    except BaseException as error:
        if run_id is not None and options.webhook:
            from tableau_audit.notify import failure_payload, post

            post(options.webhook, failure_payload(
                target=target, run_id=run_id, reason=failure_reason(error)
            ))  # fmt: skip
        raise
    if options.webhook and recorder.result is not None and recorder.result.changes is not None:
        from tableau_audit.notify import post, summary

        post(options.webhook, summary(recorder.result, recorder.result.changes, target=target))


def scope_key(snapshot: SiteSnapshot, settings: ServerSettings) -> str:
    """What makes two runs comparable: the same site (by id), projects and item kinds."""
    key = f"site:{snapshot.site_id}"
    if settings.projects:
        key += " projects:" + ",".join(sorted(settings.projects))
    if not settings.include_datasources:
        key += " no-datasources"
    return key


def gate(result: AuditResult, fail_on: Severity, *, fail_on_new: bool) -> int:
    """Exit code: 2 incomplete; 1 findings (new ones only with ``fail_on_new``) ≥ ``fail_on``."""
    if result.complete and fail_on_new and result.changes is not None:
        from tableau_audit.changes import new_at_or_above

        return EXIT_FINDINGS if new_at_or_above(result.changes, fail_on) else EXIT_OK
    return exit_code(result, fail_on)


# --- tableau-audit history --------------------------------------------------------------------


@click.command("history")
@click.option(
    "--history",
    "history_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PATH",
    help="The history file written by `tableau-audit server --history PATH`.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Show the newest N runs.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(["console", "json"]),
    default="console",
    show_default=True,
)
def history(history_path: Path, limit: int, fmt: str) -> None:
    """List past runs of a nightly audit: status, items, findings, new/resolved and trend."""
    with cli_errors():
        from tableau_audit.history import History, lock_holder

        with History(history_path) as store:
            runs = store.runs.list(limit)
        live = lock_holder(history_path)
        text = runs_json(runs) if fmt == "json" else runs_table(runs, live=live)
        emit(text, None)


def _status(run: RunRecord, *, live: bool) -> str:
    if run.status == "running" and not live:
        return "interrupted"  # killed: the next run marks it failed
    if run.status == "complete" and not run.complete:
        return "incomplete"  # finished, but some items could not be audited
    return run.status


def trends(runs: Sequence[RunRecord]) -> dict[int, int | None]:
    """Per complete run: findings minus those of the previous complete run of its scope."""
    found: dict[int, int | None] = {}
    for index, run in enumerate(runs):  # newest first
        if run.status != "complete":
            continue
        older = next(
            (r for r in runs[index + 1 :] if r.status == "complete" and r.scope == run.scope),
            None,
        )
        found[run.id] = None if older is None else run.findings - older.findings
    return found


def runs_table(runs: Sequence[RunRecord], *, live: bool) -> str:
    """A plain-text table of runs, newest first."""
    if not runs:
        return "No runs recorded yet.\n"
    trend = trends(runs)
    head = ("Run", "Started (UTC)", "Status", "Items", "Analysed", "Reused", "Skipped",
            "Findings", "Crit", "High", "New", "Resolved", "Trend")  # fmt: skip
    rows = [head]
    for run in runs:
        delta = trend.get(run.id)
        done = run.status == "complete"
        rows.append((
            str(run.id), run.started.replace("T", " "), _status(run, live=live),
            *((str(n) for n in (run.items, run.items_analysed, run.items_reused,
                                run.items_skipped, run.findings, run.by_severity["critical"],
                                run.by_severity["high"], run.new, run.resolved)) if done
              else ("-",) * 9),
            "-" if delta is None else ("=" if delta == 0 else f"{delta:+d}"),
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]  # fmt: skip
    failures = [f"run {r.id}: {r.failure}" for r in runs if r.status == "failed" and r.failure]
    return "\n".join(lines + (["", *failures] if failures else [])) + "\n"


def runs_json(runs: Sequence[RunRecord]) -> str:
    """The runs as JSON (newest first), with each complete run's trend."""
    trend = trends(runs)
    document = {
        "runs": [{**dataclasses.asdict(run), "trend": trend.get(run.id)} for run in runs],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


cli.add_command(history)
