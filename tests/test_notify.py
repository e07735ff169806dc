"""``--notify-webhook``: the summary document and its delivery to a local HTTP receiver."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tableau_audit.changes import KnownFinding, RunRef, compare
from tableau_audit.errors import ConfigError
from tableau_audit.findings import Severity
from tableau_audit.notify import check_url, failure_payload, post, redact_url, summary
from tests.factories import make_finding, make_item, make_result
from tests.webhook_receiver import TOKEN, Receiver, webhook_receiver

A = "https://t/#/site/s/workbooks/A"
SSN = make_finding(artifact=A, object_path=("datasource:Permits", "column:SSN"),
                   severity=Severity.CRITICAL, rule_id="TA250")  # fmt: skip
PUBLIC = make_finding(rule_id="TA203", artifact=A, severity=Severity.HIGH,
                      object_path=("capability:ViewUnderlyingData",))  # fmt: skip
UNUSED = make_finding(artifact=A, object_path=("datasource:Permits", "column:Email"))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as state:
        yield state


def _changes() -> tuple[Any, Any]:
    result = make_result(
        items=(make_item(source=A, name="Permits", project="Public",
                         findings=(SSN, PUBLIC, UNUSED)),)
    )  # fmt: skip
    before = {
        UNUSED.fingerprint: KnownFinding(
            fingerprint=UNUSED.fingerprint, rule_id="TA101", severity=Severity.MEDIUM,
            message="m", artifact=A, object_path=UNUSED.location.object_path,
            first_seen="2026-11-01T02:00:00Z",
        )
    }  # fmt: skip
    ref = RunRef(id=4, started="2026-11-25T02:00:00Z")
    return result, compare(result, before, reference=ref, now="2026-11-26T02:00:00Z", run_id=5)


def test_summary_lists_new_critical_and_high_by_rule_item_and_field() -> None:
    result, changes = _changes()
    document = summary(result, changes, target="https://t site s")
    assert document["counts"] == {
        "new": 2, "resolved": 0, "persisting": 1, "unchecked": 0, "findings": 3,
        "items_audited": 1, "items_skipped": 0,
        "new_by_severity": {"critical": 1, "high": 1, "medium": 0, "low": 0, "info": 0},
    }  # fmt: skip
    assert [(f["rule_id"], f["severity"], f["item"], f["project"], f["datasource"], f["field"])
            for f in document["new_findings"]] == [
        ("TA250", "critical", "Permits", "Public", "Permits", "SSN"),
        ("TA203", "high", "Permits", "Public", None, None),
    ]  # fmt: skip
    assert (document["run"], document["reference_run"], document["status"]) == (5, 4, "complete")
    assert document["text"] == (
        "tableau-audit on https://t site s: 2 new, 0 resolved, 1 persisting finding(s); "
        "2 new critical/high: TA203 x1, TA250 x1."
    )
    assert "message" not in json.dumps(document["new_findings"])


def test_summary_is_received_by_a_local_http_receiver(receiver: Receiver) -> None:
    result, changes = _changes()
    assert post(receiver.url, summary(result, changes, target="t")) is True
    assert receiver.bodies[0]["new_findings"][0]["rule_id"] == "TA250"
    assert receiver.headers[0]["content-type"] == "application/json"
    assert receiver.paths == [f"/hooks/{TOKEN}?key={TOKEN}"]


def test_failure_payload_is_posted_as_is(receiver: Receiver) -> None:
    doc = failure_payload(target="t", run_id=3, reason="t: sign-in refused (401001)")
    assert post(receiver.url, doc)
    assert receiver.bodies == [json.loads(json.dumps(doc))]
    assert receiver.bodies[0]["status"] == "failed"


@pytest.mark.parametrize(
    ("status", "location", "delay", "expected"),
    [
        (500, "", 0.0, "HTTP 500"),
        (302, "/elsewhere", 0.0, "HTTP 302"),
        (204, "", 2.0, "timed out"),
    ],
)
def test_delivery_failures_are_logged_without_the_token_and_never_raise(
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
    status: int,
    location: str,
    delay: float,
    expected: str,
) -> None:
    receiver.status, receiver.location, receiver.delay = status, location, delay
    with caplog.at_level(logging.DEBUG):
        assert post(receiver.url, {"x": 1}, timeout=0.5) is False
    assert receiver.paths == [f"/hooks/{TOKEN}?key={TOKEN}"]  # a redirect is never followed
    assert [r.getMessage() for r in caplog.records if r.name == "tableau_audit.notify"] == [
        f"webhook http://127.0.0.1:{receiver.url.split(':')[2].split('/')[0]}/…: "
        f"not delivered ({expected})"
    ]
    assert TOKEN not in caplog.text


def test_unreachable_receiver(caplog: pytest.LogCaptureFixture) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with caplog.at_level(logging.WARNING):
        assert post(f"http://127.0.0.1:{port}/{TOKEN}", {"x": 1}, timeout=2) is False
    assert "not delivered" in caplog.text
    assert TOKEN not in caplog.text


def test_check_url_and_redact_url() -> None:
    assert check_url(f"https://hooks.example.org/services/{TOKEN}").startswith("https://")
    for bad in (f"file:///etc/{TOKEN}", f"ftp://h/{TOKEN}", f"hooks.example.org/{TOKEN}"):
        with pytest.raises(ConfigError) as caught:
            check_url(bad)
        assert TOKEN not in str(caught.value)
    assert redact_url(f"https://u:{TOKEN}@hooks.example.org:8443/x/{TOKEN}?t={TOKEN}") == (
        "https://hooks.example.org:8443/…"
    )
