"""Per-column verdict: name (and, from issue 3, value) evidence → :class:`ColumnClassification`.

:func:`classify_column` is the one entry point the engine calls. It applies the policy's
allow-lists, collects the evidence and hands it to :func:`combine`, the single place where evidence
becomes a verdict (pii-detection.md §1.4). The verdict carries the evidence behind it in
``signals``: tokens and scores, never a sampled value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tableau_audit.classify.names import NameMatch, classify_name, index_rules
from tableau_audit.classify.policy import Policy
from tableau_audit.classify.types import ColumnClassification

if TYPE_CHECKING:
    from tableau_audit.classify.values import ValueEvidence

__all__ = ["classify_column", "combine", "name_signal", "prepare"]


def classify_column(
    *,
    datasource_caption: str,
    name: str,
    remote_name: str,
    caption: str,
    datatype: str,
    values: Sequence[str] | ValueEvidence | None,
    policy: Policy,
) -> ColumnClassification | None:
    """Classify one column; None when it is allow-listed or not confidential enough to report.

    With ``values=None`` (no extract, a live connection, a CI run without data) the verdict is
    name-only. With sampled values (cast to text), the name signal and the value evidence are
    weighed together by :func:`tableau_audit.classify.scoring.classify_values` (which also takes
    their :class:`~tableau_audit.classify.values.ValueEvidence`, computed once for columns that
    read the same values).
    """
    if policy.allows_datasource(datasource_caption) or policy.allows_column(
        datasource_caption, (name, remote_name, caption)
    ):
        return None
    match = classify_name(
        name=name,
        remote_name=remote_name,
        caption=caption,
        datatype=datatype,
        policy=policy,
        context=datasource_caption,
    )
    name_only = combine(name_match=match, policy=policy)
    if values is None:
        return name_only
    # NOTE: value evidence (issue 3) lives in scoring.py, imported here: a scan without
    # extracts never loads the value validators (~8 ms of start-up, issue 2).
    from tableau_audit.classify.scoring import classify_values

    return classify_values(
        name=match,
        names=(name, remote_name, caption),
        datatype=datatype,
        values=values,
        policy=policy,
        name_only=name_only,
        name_signals=name_signal(match) if match is not None else None,
    )


def prepare(*, values: bool) -> None:
    """Do now the one-time work classification otherwise does on its first column: index the
    name rules and, when ``values`` will be judged, load the phone metadata (~20 ms together).

    Nothing changes but when the cost is paid: the engine calls it while it would otherwise
    sit waiting for hyperd. Only patterns and metadata are built, never anything from a run.
    """
    index_rules()
    if values:
        from tableau_audit.classify import phone_gate
        from tableau_audit.classify.validators import DEFAULT_REGION

        # NOTE: phonenumbers and the region's pre-check (~15 ms), not its large type patterns
        # (another ~15 ms): only a value passing the region's general description needs them.
        phone_gate.prepare(DEFAULT_REGION)


def combine(*, name_match: NameMatch | None, policy: Policy) -> ColumnClassification | None:
    """Turn the evidence about one column into a verdict, or None below the policy threshold.

    Name-only for now: the confidence is the name score. Value evidence joins here as
    ``confidence = w_name · name + w_values · ratio`` (pii-detection.md §1.4).
    """
    if name_match is None or name_match.score < policy.min_confidence:
        return None
    return ColumnClassification(
        pii_type=name_match.pii_type,
        tier=name_match.tier,
        confidence=name_match.score,
        name_only=True,
        signals={"name": name_signal(name_match)},
    )


def name_signal(match: NameMatch) -> Mapping[str, object]:
    """The name evidence as plain data for ``signals["name"]`` (reports serialise it as is)."""
    signal: dict[str, object] = {
        "matched_on": match.matched_on,
        "tokens": match.tokens,
        "matched": match.matched,
        "rule": match.rule,
        "score": match.score,
    }
    if match.contradicted:
        signal["contradicted"] = True
        signal["reasons"] = match.reasons
    return signal
