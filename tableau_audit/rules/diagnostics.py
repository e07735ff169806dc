"""TA9xx: the tool's own diagnostics. Reported so that nothing is silently left unaudited."""

from __future__ import annotations

from collections.abc import Iterator

from tableau_audit.findings import Location, Severity, Violation
from tableau_audit.model import Workbook
from tableau_audit.rules.base import Rule, RuleContext


def _partial_audit(wb: Workbook, ctx: RuleContext) -> Iterator[Violation]:
    """One violation per part of an audited item that could not be read (parser diagnostics)."""
    for diagnostic in wb.diagnostics:
        yield Violation(
            location=Location(artifact=wb.source, object_path=diagnostic.place),
            message=diagnostic.message,
            evidence={"code": diagnostic.code},
        )


HELP_TA901 = """\
**Why it matters.** The file could not be audited at all (not a Tableau file, corrupt, truncated,
a Git LFS pointer, a legacy `.tde`, a hostile archive, ...). Whatever it contains was not checked.

**How to fix.** Read the reason: fetch the real file behind an LFS pointer, re-save the workbook
with a current Tableau version, or remove the file if it is not meant to be published.
"""

HELP_TA902 = """\
**Why it matters.** The item was audited, but part of it could not be read (for example an
extract that is corrupt, missing from the package or in the legacy `.tde` format), so the
findings for that part rest on the XML alone.

**How to fix.** Refresh or re-create the extract and repackage the workbook.
"""

HELP_TA903 = """\
**Why it matters.** A rule failed with an internal error on this item, so its verdict is missing.
This is a bug in tableau-audit; the other rules still ran.

**How to fix.** Run again with `-vv` and report the traceback (it never contains data values).
"""

TA901 = Rule(
    id="TA901",
    name="could-not-audit",
    severity=Severity.HIGH,
    summary="A file could not be audited; the reason says why.",
    help=HELP_TA901,
    check=None,
    tags=("diagnostic",),
)

TA902 = Rule(
    id="TA902",
    name="partially-audited",
    severity=Severity.MEDIUM,
    summary="Part of an item (typically its extract) could not be read.",
    help=HELP_TA902,
    check=_partial_audit,
    tags=("diagnostic",),
)

TA903 = Rule(
    id="TA903",
    name="rule-failed",
    severity=Severity.HIGH,
    summary="A rule failed with an internal error on this item.",
    help=HELP_TA903,
    check=None,
    tags=("diagnostic",),
)
