"""The run history: schema migrations, stored analyses, runs and findings, lock, SIGKILL."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tableau_audit.changes import Change, RunChanges
from tableau_audit.classify.policy import Policy
from tableau_audit.cli import cli
from tableau_audit.config import AuditConfig
from tableau_audit.engine import audit_workbook, classify_columns
from tableau_audit.findings import Finding, Severity
from tableau_audit.formula import formula_references
from tableau_audit.history import History, HistoryError, lock_holder, open_run
from tableau_audit.history_codec import analysis_key, decode, encode, redact, references_only
from tableau_audit.history_schema import CURRENT, migrate, version
from tableau_audit.model import ArtifactKind, Calculation, Parameter, ServerItem, Workbook
from tableau_audit.parsing import ExtractSamples, load_item
from tableau_audit.sources.cache import StoredAnalysis
from tableau_audit.usage import compute_usage
from tests.factories import make_finding, make_item, make_result
from tests.history_lock import holding_history
from tests.test_no_values import canary_files  # noqa: F401 - a fixture

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "tests" / "fixtures" / "rules"
KEY = analysis_key(Policy())


class Clock:
    """A deterministic clock: one second per call."""

    def __init__(self) -> None:
        self.ticks = 0

    def __call__(self) -> str:
        self.ticks += 1
        return f"2026-11-26T02:{self.ticks // 60:02d}:{self.ticks % 60:02d}Z"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nightly.sqlite"


def item(
    name: str = "Permits", *, updated: str = "2026-01-01T00:00:00Z", size: int = 1
) -> ServerItem:
    return ServerItem(
        kind=ArtifactKind.WORKBOOK,
        id=f"id-{name}",
        name=name,
        url=f"https://t/#/site/s/workbooks/{name}",
        project_name="Public",
        updated_at=updated,
        size=size,
    )


def parsed(name: str) -> Workbook:
    return load_item(RULES / name, display=name).workbook


# --- schema -----------------------------------------------------------------------------------


def test_migrates_from_version_0_one_step_at_a_time(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    assert version(conn) == 0
    for step in range(CURRENT):
        assert migrate(conn, label="h", target=step + 1) == step
        assert version(conn) == step + 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "items", "findings", "run_findings"} <= tables
    conn.close()
    with History(path) as history:  # opening again is a no-op at the current version
        assert version(history.conn) == CURRENT
        assert history.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_version_1_history_opens_and_drops_its_stored_analyses(path: Path) -> None:
    """Version 1 had a content hash column and stored analyses with database user names."""
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, label="h", target=1)
    conn.execute(
        "INSERT INTO items (item_id, kind, name, updated_at, content_hash, analysis_key, "
        "analysed_at, analysis) VALUES ('w1', 'workbook', 'W', 'x', 'h', 'k', 'x', '{}')"
    )
    conn.close()
    analysis = StoredAnalysis(workbook=parsed("TA104_fail_customer_contacts.tds"))
    with open_run(path, target="t", full=False, analysis_key=KEY) as run:
        assert version(run.history.conn) == CURRENT
        assert run.history.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0] == 0
        run.cache.store(item(), analysis)
        assert run.cache.analysed == 1
        run.finish(make_result(items=()), scope="s")


def test_an_analysis_the_history_cannot_take_is_logged_not_fatal(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    analysis = StoredAnalysis(workbook=parsed("TA104_fail_customer_contacts.tds"))
    with open_run(path, target="t", full=False, analysis_key=KEY) as run:
        run.history.conn.execute(
            "CREATE TRIGGER full BEFORE INSERT ON items BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
        run.cache.store(item(), analysis)
        assert run.cache.analysed == 0
        assert "its analysis was not stored (IntegrityError)" in caplog.text
        run.finish(make_result(items=()), scope="s")


def test_new_history_file_is_private(path: Path) -> None:
    with History(path):
        pass
    assert path.stat().st_mode & 0o077 == 0


def test_a_newer_schema_is_refused(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {CURRENT + 1}")
    conn.close()
    with pytest.raises(HistoryError, match="newer tableau-audit"):
        History(path)


def test_a_file_that_is_not_a_database_is_refused(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 not sqlite at all" * 100)
    with pytest.raises(HistoryError, match=r"nightly\.sqlite: not a tableau-audit history"):
        History(path)


# --- stored analyses --------------------------------------------------------------------------


def test_references_only_keeps_exactly_the_references() -> None:
    formulas = [
        "IF [Sales] > 10 THEN 'x[not a ref]' END // [comment ref]\n+ [Profit]",
        "[federated.0abc].[Sales Target] + [Parameters].[Top N] + [a]]b]",
        '{FIXED [Region] : SUM([Sales])} + "password=Hunter2"',
        "",
    ]
    for formula in formulas:
        reduced = references_only(formula)
        assert formula_references(reduced) == formula_references(formula)
        assert "Hunter2" not in reduced
        assert "comment" not in reduced
        assert "not a" not in reduced


def test_round_trip_keeps_usage_classifications_and_findings() -> None:
    workbook = parsed("TA101_fail_unused_ssn_email.twb")
    config = AuditConfig()
    found = classify_columns(workbook, config, ExtractSamples())
    assert found  # the fixture has an SSN and an e-mail column
    stored = decode(encode(StoredAnalysis(workbook=workbook, classifications=found)))
    assert stored.workbook == redact(workbook)
    assert compute_usage(stored.workbook) == compute_usage(workbook)
    assert {k: (c.pii_type, c.tier, c.confidence) for k, c in stored.classifications.items()} == {
        k: (c.pii_type, c.tier, c.confidence) for k, c in found.items()
    }
    again = audit_workbook(stored.workbook, config)
    first = audit_workbook(workbook, config)
    assert [f.fingerprint for f in again.findings] == [f.fingerprint for f in first.findings]
    assert again.columns == first.columns


def test_redaction_drops_sql_text_formula_literals_and_user_names() -> None:
    workbook = parsed("TA101_fail_unused_ssn_email.twb")
    ds = workbook.datasources[0]
    planted = dataclasses.replace(
        ds,
        connections=tuple(
            dataclasses.replace(c, username="planted_db_user") for c in ds.connections
        ),
        calculations=(
            Calculation(name="c", caption="C", formula="[SSN] + 'ghp_PlantedCanaryToken0001'"),
        ),
    )
    workbook = dataclasses.replace(
        workbook,
        datasources=(planted,),
        parameters=(Parameter(name="p", caption="P", formula="'sk.PlantedParamCanary'"),),
    )
    text = encode(StoredAnalysis(workbook=workbook))
    assert "PlantedCanaryToken" not in text
    assert "PlantedParamCanary" not in text
    assert ds.connections  # the fixture has a connection with a user name to drop
    assert "planted_db_user" not in text
    assert json.loads(text)["workbook"]["datasources"][0]["calculations"][0]["formula"] == "[SSN]"


def test_analysis_key_changes_with_the_policy() -> None:
    assert analysis_key(Policy()) == analysis_key(Policy())
    assert analysis_key(Policy(sample_size=10)) != analysis_key(Policy())


def test_decode_rejects_foreign_documents() -> None:
    from tableau_audit.history_codec import AnalysisDecodeError

    for text in ("{}", "[]", '{"format": 1, "workbook": {"bogus": 1}, "classifications": []}'):
        with pytest.raises(AnalysisDecodeError):
            decode(text)


# --- the cache --------------------------------------------------------------------------------


def test_cache_reuses_only_same_updated_at_size_and_key(path: Path) -> None:
    clock = Clock()
    analysis = StoredAnalysis(workbook=parsed("TA104_fail_customer_contacts.tds"))
    with open_run(path, target="t", full=False, analysis_key=KEY, clock=clock) as run:
        run.cache.store(item(), analysis)
        run.cache.store(item("NoStamp", updated=""), analysis)
        run.finish(make_result(items=()), scope="s")
    with open_run(path, target="t", full=False, analysis_key=KEY, clock=clock) as run:
        cache = run.cache
        assert cache.is_current(item())
        assert not cache.is_current(item(updated="2026-02-01T00:00:00Z"))
        assert not cache.is_current(item(size=2))
        assert not cache.is_current(item("Other"))
        assert not cache.is_current(item("NoStamp", updated=""))
        loaded = cache.load(item())
        assert loaded is not None
        assert loaded.workbook == redact(analysis.workbook)
        assert cache.reused == 1
        run.finish(make_result(items=()), scope="s")
    with open_run(path, target="t", full=True, analysis_key=KEY, clock=clock) as run:
        assert not run.cache.is_current(item())
        run.finish(make_result(items=()), scope="s")
    with open_run(path, target="t", full=False, analysis_key="other", clock=clock) as run:
        assert not run.cache.is_current(item())
        run.finish(make_result(items=()), scope="s")


def test_unreadable_analysis_is_forgotten(path: Path) -> None:
    analysis = StoredAnalysis(workbook=parsed("TA104_fail_customer_contacts.tds"))
    with open_run(path, target="t", full=False, analysis_key=KEY) as run:
        run.cache.store(item(), analysis)
        run.history.conn.execute("UPDATE items SET analysis = '{\"format\": 99}'")
        assert run.cache.load(item()) is None
        count = run.history.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        assert count == 0
        run.finish(make_result(items=()), scope="s")


# --- runs and findings ------------------------------------------------------------------------

A = "https://t/#/site/s/workbooks/A"
SSN = make_finding(artifact=A, object_path=("datasource:P", "column:SSN"))
EMAIL = make_finding(
    artifact=A, object_path=("datasource:P", "column:Email"), severity=Severity.HIGH
)
OPEN = make_finding(rule_id="TA203", artifact=A, object_path=("capability:ViewUnderlyingData",),
                    severity=Severity.HIGH)  # fmt: skip


def record(path: Path, clock: Clock, *findings: Finding, scope: str = "site:1") -> RunChanges:
    result = make_result(items=(make_item(source=A, findings=findings),))
    with open_run(
        path, target="https://t site s", full=False, analysis_key=KEY, clock=clock
    ) as run:
        return run.finish(result, scope=scope)


def test_runs_record_new_resolved_persisting_and_first_seen(path: Path) -> None:
    clock = Clock()
    first = record(path, clock, SSN, EMAIL)
    second = record(path, clock, SSN, OPEN)
    third = record(path, clock, SSN, OPEN, EMAIL)
    assert first.reference is None
    assert {f.fingerprint for f in first.new} == {SSN.fingerprint, EMAIL.fingerprint}
    assert second.reference is not None
    assert second.reference.id == first.run_id
    assert {f.fingerprint for f in second.new} == {OPEN.fingerprint}
    assert {f.fingerprint for f in second.resolved} == {EMAIL.fingerprint}
    assert {f.fingerprint for f in second.persisting} == {SSN.fingerprint}
    assert second.persisting[0].first_seen == first.new[0].first_seen
    reopened = {f.fingerprint: f for f in third.new}
    assert set(reopened) == {EMAIL.fingerprint}
    assert reopened[EMAIL.fingerprint].reopened
    with History(path) as history:
        runs = history.runs.list()
        state = history.conn.execute(
            "SELECT fingerprint, resolved_run, first_seen_run, last_seen_run FROM findings"
        ).fetchall()
        events = history.conn.execute(
            "SELECT run_id, fingerprint, change FROM run_findings ORDER BY run_id"
        ).fetchall()
    assert [(r.id, r.status, r.findings, r.new, r.resolved, r.persisting) for r in runs] == [
        (3, "complete", 3, 1, 0, 2),
        (2, "complete", 2, 1, 1, 1),
        (1, "complete", 2, 2, 0, 0),
    ]
    assert runs[0].by_severity == {"critical": 0, "high": 2, "medium": 1, "low": 0, "info": 0}
    assert set(state) == {
        (SSN.fingerprint, None, 1, 3),
        (EMAIL.fingerprint, None, 1, 3),
        (OPEN.fingerprint, None, 2, 3),
    }  # fmt: skip
    assert set(events) == {
        (1, SSN.fingerprint, "new"), (1, EMAIL.fingerprint, "new"),
        (2, OPEN.fingerprint, "new"), (2, EMAIL.fingerprint, "resolved"),
        (3, EMAIL.fingerprint, "new"),
    }  # fmt: skip


def test_scopes_are_compared_separately(path: Path) -> None:
    clock = Clock()
    record(path, clock, SSN, scope="site:1")
    other = record(path, clock, SSN, scope="site:1 projects:HR")
    assert other.reference is None
    assert [f.change for f in other.new] == [Change.NEW]


def test_a_run_that_raises_is_failed_and_never_the_reference(path: Path) -> None:
    clock = Clock()
    first = record(path, clock, SSN)
    with (
        pytest.raises(HistoryError, match="boom"),
        open_run(path, target="t", full=False, analysis_key=KEY, clock=clock),
    ):
        raise HistoryError("site: boom")
    after = record(path, clock, SSN)
    assert after.reference is not None
    assert after.reference.id == first.run_id
    with History(path) as history:
        failed = history.runs.list()[1]
    assert (failed.status, failed.failure) == ("failed", "site: boom")


# --- lock and SIGKILL -------------------------------------------------------------------------


@pytest.fixture
def holder(path: Path) -> Iterator[subprocess.Popen[str]]:
    with holding_history(path) as child:
        yield child


def test_second_run_is_refused_while_the_first_holds_the_lock(
    path: Path, holder: subprocess.Popen[str]
) -> None:
    assert lock_holder(path)
    with (
        pytest.raises(HistoryError, match=rf"another tableau-audit run .*process {holder.pid}"),
        open_run(path, target="t", full=False, analysis_key=KEY),
    ):
        pass
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=30)
    assert not lock_holder(path)  # the kernel released it: no stale lock
    with open_run(path, target="t", full=False, analysis_key=KEY) as run:
        run.finish(make_result(items=()), scope="s")
    with History(path) as history:
        runs = history.runs.list()
    assert [(r.id, r.status) for r in runs] == [(2, "complete"), (1, "failed")]
    assert runs[1].failure.startswith("interrupted")


def test_history_command_lists_runs_with_trend(path: Path) -> None:
    clock = Clock()
    record(path, clock, SSN)
    record(path, clock, SSN, EMAIL, OPEN)
    record(path, clock, OPEN)
    result = CliRunner().invoke(cli, ["history", "--history", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "Run", "Started", "(UTC)", "Status", "Items", "Analysed", "Reused", "Skipped",
        "Findings", "Crit", "High", "New", "Resolved", "Trend",
    ]  # fmt: skip
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert [line.split()[-1] for line in lines[1:]] == ["-2", "+2", "-"]
    as_json = CliRunner().invoke(cli, ["history", "--history", str(path), "--format", "json"])
    runs = json.loads(as_json.stdout)["runs"]
    assert [(r["id"], r["findings"], r["new"], r["resolved"], r["trend"]) for r in runs] == [
        (3, 1, 0, 2, -2),
        (2, 3, 2, 0, 2),
        (1, 1, 1, 0, None),
    ]


def test_history_command_needs_an_existing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["history", "--history", str(tmp_path / "none.sqlite")])
    assert result.exit_code == 2


# --- never a value, password or token ---------------------------------------------------------

SQL_SECRET = "Plant3dSqlCanaryPw"
FILE_SECRETS = (
    "Plant3d-Canary-Pw",  # TA301_fail_password.tds
    "pk.eyJ1IjoiY2FuYXJ5LXVzZXIiLCJhIjoiY2FuYXJ5dG9rZW4xMjM0NTY3ODkwIn0",  # TA303 Mapbox key
    "Q2FuYXJ5U2lnbmF0dXJlMTIz",
    SQL_SECRET,
)


def _with_custom_sql(workbook: Workbook) -> Workbook:
    from tableau_audit.model import Relation

    ds = workbook.datasources[0]
    sql = Relation(
        name="q",
        relation_type="text",
        custom_sql=f"SELECT * FROM people WHERE 1=1 -- Server=db;Uid=sa;Pwd={SQL_SECRET};",
    )
    return dataclasses.replace(
        workbook, datasources=(dataclasses.replace(ds, relations=(*ds.relations, sql)),)
    )


@pytest.mark.hyper
def test_history_file_holds_no_planted_value_or_secret(
    canary_files: Path,  # noqa: F811 - the imported fixture
    path: Path,
) -> None:
    from tableau_audit.parsing.hyper import HyperSession
    from tests.test_no_values import leaks

    config = AuditConfig()
    with HyperSession() as hyper:
        loaded = load_item(
            canary_files / "contacts.twbx",
            display="contacts.twbx",
            hyper=hyper,
            sample_size=config.policy.sample_size,
        )
    found = classify_columns(loaded.workbook, config, loaded.samples)
    assert any(not c.name_only for c in found.values())  # value evidence is really stored
    report = audit_workbook(loaded.workbook, config, samples=loaded.samples)
    others = [parsed("TA301_fail_password.tds"), parsed("TA303_fail_mapbox_key.twb")]
    reports = [report, *(audit_workbook(wb, config) for wb in others)]
    with open_run(path, target="t", full=False, analysis_key=KEY) as run:
        run.cache.store(
            item("contacts"),
            StoredAnalysis(workbook=_with_custom_sql(loaded.workbook), classifications=found),
        )
        for i, wb in enumerate(others):
            run.cache.store(item(f"other{i}"), StoredAnalysis(workbook=wb))
        run.finish(make_result(items=tuple(reports)), scope="s")
    stored = b"".join(p.read_bytes() for p in sorted(path.parent.glob(path.name + "*")))
    text = stored.decode("utf-8", "replace")
    assert leaks(text) == []
    assert [secret for secret in FILE_SECRETS if secret in text] == []
    assert "***-**-" in text  # masked SSN exemplars are what is kept
    assert "TA301" in text
    assert "TA303" in text
