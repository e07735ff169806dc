"""What changed since the last complete run (``changes.compare``): exact sets per category."""

from __future__ import annotations

import json

from tableau_audit.changes import (
    Change,
    KnownFinding,
    RunChanges,
    RunRef,
    compare,
    new_at_or_above,
)
from tableau_audit.findings import AuditResult, Finding, Severity, SuppressedFinding
from tests.factories import make_finding, make_item, make_result, make_skipped

NOW = "2026-11-26T02:00:00Z"
BEFORE = "2026-11-20T02:00:00Z"
REF = RunRef(id=7, started="2026-11-25T02:00:00Z")

SSN = make_finding(artifact="https://t/wb/A", object_path=("datasource:P", "column:SSN"))
EMAIL = make_finding(
    artifact="https://t/wb/A",
    object_path=("datasource:P", "column:Email"),
    severity=Severity.HIGH,
)
PUBLIC = make_finding(
    rule_id="TA203", artifact="https://t/wb/B", object_path=("capability:ViewUnderlyingData",),
    severity=Severity.HIGH,
)  # fmt: skip
GUEST = make_finding(
    rule_id="TA202", artifact="https://t/wb/C", object_path=(), severity=Severity.CRITICAL
)


def known(finding: Finding, *, open_: bool = True, first: str = BEFORE) -> KnownFinding:
    location = finding.location
    return KnownFinding(
        fingerprint=finding.fingerprint,
        rule_id=finding.rule_id,
        severity=finding.severity,
        message=finding.message,
        artifact=location.artifact,
        object_path=location.object_path,
        first_seen=first,
        open=open_,
    )


def prints(changed: RunChanges, change: Change) -> set[str]:
    lists = {
        Change.NEW: changed.new,
        Change.RESOLVED: changed.resolved,
        Change.PERSISTING: changed.persisting,
        Change.UNCHECKED: changed.unchecked,
    }
    assert all(f.change is change for f in lists[change])
    return {f.fingerprint for f in lists[change]}


def test_first_run_everything_is_new_and_first_seen_now() -> None:
    result = make_result(items=(make_item(source="https://t/wb/A", findings=(SSN, EMAIL)),))
    changed = compare(result, {}, reference=None, now=NOW, run_id=1)
    assert prints(changed, Change.NEW) == {SSN.fingerprint, EMAIL.fingerprint}
    assert changed.resolved == changed.persisting == changed.unchecked == ()
    assert {f.first_seen for f in changed.new} == {NOW}
    assert changed.reference is None
    assert changed.run_id == 1
    # worst first
    assert [f.fingerprint for f in changed.new] == [EMAIL.fingerprint, SSN.fingerprint]


def test_new_resolved_persisting_with_first_seen_dates() -> None:
    result = make_result(
        items=(
            make_item(source="https://t/wb/A", findings=(SSN,)),
            make_item(source="https://t/wb/B", findings=(PUBLIC,)),
        )
    )
    before = {f.fingerprint: known(f) for f in (SSN, EMAIL)}
    changed = compare(result, before, reference=REF, now=NOW)
    assert prints(changed, Change.NEW) == {PUBLIC.fingerprint}
    assert prints(changed, Change.PERSISTING) == {SSN.fingerprint}
    assert prints(changed, Change.RESOLVED) == {EMAIL.fingerprint}
    assert changed.persisting[0].first_seen == BEFORE
    assert changed.persisting[0].first_seen_date == "2026-11-20"
    assert changed.new[0].first_seen == NOW
    assert changed.counts == {"new": 1, "resolved": 1, "persisting": 1, "unchecked": 0}


def test_reopened_finding_is_new_but_keeps_its_first_seen() -> None:
    result = make_result(items=(make_item(source="https://t/wb/A", findings=(SSN,)),))
    changed = compare(result, {SSN.fingerprint: known(SSN, open_=False)}, reference=REF, now=NOW)
    assert prints(changed, Change.NEW) == {SSN.fingerprint}
    assert changed.new[0].reopened is True
    assert changed.new[0].first_seen == BEFORE


def test_findings_of_a_skipped_item_are_unchecked_not_resolved() -> None:
    skipped = make_skipped("https://t/wb/A", "cannot read its content: HTTP 503")
    result = make_result(items=(), skipped=(skipped,))
    before = {f.fingerprint: known(f) for f in (SSN, EMAIL, GUEST)}
    changed = compare(result, before, reference=REF, now=NOW)
    assert prints(changed, Change.UNCHECKED) == {SSN.fingerprint, EMAIL.fingerprint}
    # the item C is gone from the site: its finding is resolved
    assert prints(changed, Change.RESOLVED) == {GUEST.fingerprint}
    assert prints(changed, Change.NEW) == {skipped.finding.fingerprint}


def test_a_skipped_items_old_ta901_persists_and_resolves_when_audited() -> None:
    skipped = make_skipped("https://t/wb/A", "cannot read its content: HTTP 503")
    before = {skipped.finding.fingerprint: known(skipped.finding)}
    again = compare(make_result(items=(), skipped=(skipped,)), before, reference=REF, now=NOW)
    assert prints(again, Change.PERSISTING) == {skipped.finding.fingerprint}
    fixed = make_result(items=(make_item(source="https://t/wb/A", findings=()),))
    healed = compare(fixed, before, reference=REF, now=NOW)
    assert prints(healed, Change.RESOLVED) == {skipped.finding.fingerprint}


def test_accepted_findings_are_neither_resolved_nor_listed() -> None:
    result = make_result(
        items=(make_item(source="https://t/wb/A", findings=()),),
        suppressed=(SuppressedFinding(finding=SSN, reason="masked upstream"),),
        baseline=(EMAIL,),
    )
    before = {f.fingerprint: known(f) for f in (SSN, EMAIL)}
    changed = compare(result, before, reference=REF, now=NOW)
    assert changed.counts == {"new": 0, "resolved": 0, "persisting": 0, "unchecked": 0}


def test_new_at_or_above_and_new_by_severity() -> None:
    result = make_result(
        items=(
            make_item(source="https://t/wb/A", findings=(SSN, EMAIL)),
            make_item(source="https://t/wb/C", findings=(GUEST,)),
        )
    )
    changed = compare(result, {}, reference=None, now=NOW)
    assert {f.fingerprint for f in new_at_or_above(changed, Severity.HIGH)} == {
        EMAIL.fingerprint,
        GUEST.fingerprint,
    }
    assert new_at_or_above(changed, Severity.CRITICAL)[0].fingerprint == GUEST.fingerprint
    assert changed.new_by_severity() == {
        Severity.CRITICAL: 1,
        Severity.HIGH: 1,
        Severity.MEDIUM: 1,
        Severity.LOW: 0,
        Severity.INFO: 0,
    }


# --- what every report shows ------------------------------------------------------------------


def _reported() -> tuple[AuditResult, RunChanges]:
    import dataclasses

    evil = make_item(source="https://t/wb/A", name="<script>x</script>", findings=(SSN, EMAIL))
    plain = make_item(source="https://t/wb/B", name="Board", findings=(PUBLIC,))
    result = make_result(items=(evil, plain))
    before = {SSN.fingerprint: known(SSN), GUEST.fingerprint: known(GUEST)}
    changes = compare(result, before, reference=REF, now=NOW, run_id=8)
    return (dataclasses.replace(result, changes=changes), changes)


def test_json_carries_the_counts_and_the_lists() -> None:
    import json

    from tableau_audit.reports import REPORTERS

    result, _ = _reported()
    doc = json.loads(REPORTERS["json"].render(result))
    assert doc["summary"]["changes"] == {
        "new": 2, "resolved": 1, "persisting": 1, "unchecked": 0, "reference_run": 7, "run": 8,
    }  # fmt: skip
    block = doc["changes"]
    assert block["reference_run"] == {"id": 7, "started": REF.started}
    assert [(f["rule_id"], f["field"], f["first_seen"]) for f in block["new"]] == [
        ("TA101", "Email", NOW),
        ("TA203", None, NOW),
    ]
    assert [(f["rule_id"], f["first_seen"]) for f in block["persisting"]] == [("TA101", BEFORE)]
    assert [f["rule_id"] for f in block["resolved"]] == ["TA202"]


def test_without_history_no_report_mentions_changes() -> None:
    from tableau_audit.reports import REPORTERS

    result = make_result()
    for name in ("json", "console", "markdown", "html"):
        text = REPORTERS[name].render(result)
        assert "since last run" not in text.lower(), name
    assert "changes" not in json.loads(REPORTERS["json"].render(result))


def test_text_formats_put_new_since_last_run_first() -> None:
    from tableau_audit.reports import REPORTERS

    result, _ = _reported()
    console = REPORTERS["console"].render(result)
    assert console.index("New since last run (2)") < console.index("https://t/wb/A")
    assert "Since run 7 (2026-11-25): 2 new, 1 resolved, 1 persisting." in console
    assert "Resolved since last run (1)" in console
    markdown = REPORTERS["markdown"].render(result)
    assert markdown.index("### New since last run (2)") < markdown.index("### https")
    assert "| high | TA101 | &lt;script&gt;x&lt;/script&gt; | P › Email | 2026-11-26 |" in markdown
    html = REPORTERS["html"].render(result)
    assert html.index('id="changes"') < html.index('id="items"')
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_first_run_says_so_instead_of_listing_everything_twice() -> None:
    import dataclasses

    from tableau_audit.reports import REPORTERS

    result = make_result(items=(make_item(source="https://t/wb/A", findings=(SSN,)),))
    result = dataclasses.replace(result, changes=compare(result, {}, reference=None, now=NOW))
    markdown = REPORTERS["markdown"].render(result)
    assert "First run recorded in this history" in markdown
    assert "| Severity | Rule | Item | Where | First seen |" not in markdown
