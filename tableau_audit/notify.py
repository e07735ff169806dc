"""``--notify-webhook URL``: post a JSON summary of a nightly run when it ends.

The summary names the new critical and high findings by rule, item, data source and field,
with the run's counts; never a message text beyond names, never a value. A ``text`` key holds a
one-line summary, which chat webhooks (Slack, Mattermost, Teams connectors) display as is.

Delivery is best effort: stdlib :mod:`urllib`, a timeout, no redirects (a redirect could carry
the summary elsewhere), and a failure is logged and never fails the run. Webhook URLs often
carry their token in the path or query, so only the scheme and host are ever logged.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from tableau_audit import __version__
from tableau_audit.changes import ChangedFinding, RunChanges, new_at_or_above
from tableau_audit.errors import ConfigError
from tableau_audit.findings import AuditResult, Severity

__all__ = ["NOTIFY_MIN_SEVERITY", "check_url", "failure_payload", "post", "redact_url", "summary"]

logger = logging.getLogger(__name__)

NOTIFY_MIN_SEVERITY = Severity.HIGH
"""New findings at or above this severity are listed in the summary."""
MAX_LISTED = 50
"""At most this many findings are listed (the counts are always complete)."""


def check_url(url: str) -> str:
    """The URL when it is ``http(s)://host...``; :class:`ConfigError` (naming only its host)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--notify-webhook {redact_url(url)}: expected an http:// or https:// URL"
        )
    return url


def redact_url(url: str) -> str:
    """``https://hooks.example.org/…``: scheme and host only (the path may be a token)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    if not parts.scheme or not host:
        return "(not a URL)"
    return f"{parts.scheme}://{host}{port}/…"


def summary(result: AuditResult, changes: RunChanges, *, target: str) -> dict[str, Any]:
    """The JSON document posted at the end of a run (names and counts only)."""
    listed = new_at_or_above(changes, NOTIFY_MIN_SEVERITY)
    names = {item.source: (item.name, item.project) for item in result.items}
    document: dict[str, Any] = {
        "tool": {"name": "tableau-audit", "version": __version__},
        "status": "complete",
        "target": target,
        "run": changes.run_id,
        "reference_run": changes.reference.id if changes.reference else None,
        "complete": result.complete,
        "counts": {
            **changes.counts,
            "findings": len(result.findings),
            "items_audited": len(result.items),
            "items_skipped": len(result.skipped),
            "new_by_severity": {s.label: n for s, n in changes.new_by_severity().items()},
        },
        "new_findings": [_entry(f, names) for f in listed[:MAX_LISTED]],
        "new_findings_not_listed": max(0, len(listed) - MAX_LISTED),
    }
    document["text"] = _text(document, listed, target)
    return document


def failure_payload(*, target: str, run_id: int | None, reason: str) -> dict[str, Any]:
    """What is posted when the run ends without a result (sign-in refused, ...)."""
    return {
        "tool": {"name": "tableau-audit", "version": __version__},
        "status": "failed",
        "target": target,
        "run": run_id,
        "failure": reason,
        "text": f"tableau-audit: the nightly audit of {target} failed: {reason}",
    }


def _entry(finding: ChangedFinding, names: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    location = finding.location
    name, project = names.get(finding.artifact, ("", None))
    return {
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "item": name or finding.artifact,
        "item_url": finding.artifact,
        "project": project,
        "datasource": location.datasource,
        "field": location.field,
        "fingerprint": finding.fingerprint,
        "first_seen": finding.first_seen,
    }


def _text(document: Mapping[str, Any], listed: Sequence[ChangedFinding], target: str) -> str:
    counts = document["counts"]
    head = (
        f"tableau-audit on {target}: {counts['new']} new, {counts['resolved']} resolved, "
        f"{counts['persisting']} persisting finding(s)"
    )
    if not listed:
        return head + "; no new critical or high finding."
    rules: dict[str, int] = {}
    for finding in listed:
        rules[finding.rule_id] = rules.get(finding.rule_id, 0) + 1
    worst = ", ".join(f"{rule} x{n}" for rule, n in sorted(rules.items()))
    return f"{head}; {len(listed)} new critical/high: {worst}."


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: the summary goes to the configured host or nowhere."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post(url: str, document: Mapping[str, Any], *, timeout: float = 10.0) -> bool:
    """POST the document as JSON; True when the receiver answered 2xx. Never raises."""
    body = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(  # noqa: S310 - scheme checked by check_url
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": f"tableau-audit/{__version__}"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    shown = redact_url(url)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        logger.warning("webhook %s: not delivered (HTTP %d)", shown, error.code)
        return False
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("webhook %s: not delivered (%s)", shown, _reason(error))
        return False
    if not 200 <= status < 300:
        logger.warning("webhook %s: not delivered (HTTP %d)", shown, status)
        return False
    logger.info("webhook %s: summary delivered", shown)
    return True


def _reason(error: BaseException) -> str:
    """The kind of network failure; never the URL (its text may quote it)."""
    inner = getattr(error, "reason", None)
    if isinstance(inner, BaseException):
        error = inner
    if isinstance(error, TimeoutError):
        return "timed out"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return type(error).__name__
