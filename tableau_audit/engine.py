"""The orchestrator: inputs → model → usage, classification → rules → findings → result.

:func:`audit` audits local files; :func:`audit_workbook` is the one path every item takes, local
or published (a site's orchestration is in :mod:`tableau_audit.engine_server`). Everything here
is deterministic: items, findings and skipped inputs are sorted, fingerprints are stable, and
no clock appears in the result. One bad input never stops the audit of the others.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tableau_audit.baseline import Baseline, split_baseline
from tableau_audit.classify.columns import classify_column
from tableau_audit.classify.columns import prepare as prepare_classifier
from tableau_audit.classify.types import ColumnClassification
from tableau_audit.config import AuditConfig
from tableau_audit.display import display_path
from tableau_audit.errors import ParseError, traceback_without_message
from tableau_audit.extracts import (
    extract_locations,
    extract_membership,
    extract_reports,
    extract_row_count,
)
from tableau_audit.findings import (
    AuditResult,
    ColumnReport,
    Exposure,
    Finding,
    ItemReport,
    Location,
    PublishedSourceAudit,
    Severity,
    Skipped,
    Violation,
    fingerprint,
)
from tableau_audit.model import SiteSnapshot, Workbook
from tableau_audit.parsing import ExtractSamples, HyperReader, LoadedItem, load_item
from tableau_audit.parsing.hyper import HyperSession
from tableau_audit.parsing.read_ahead import ReadAhead
from tableau_audit.permissions import EffectiveAccess, SiteIndex, effective_access
from tableau_audit.risk import UNASSESSED, with_risk
from tableau_audit.rules import ALL_RULES, RULES_BY_ID, Rule, RuleContext
from tableau_audit.rules.data import data_ships
from tableau_audit.sources.local import collect_paths
from tableau_audit.suppressions import apply_suppressions, describe_expired
from tableau_audit.usage import DatasourceUsage, compute_usage

if TYPE_CHECKING:
    # NOTE: imported inside the function that needs it at run time, so that a scan without
    # extracts does not load the value validators.
    from tableau_audit.classify.values import ValueEvidence

logger = logging.getLogger(__name__)

FILES_READ_AHEAD = 8
"""How many files past the current one may have their extracts read already (:func:`audit`).

A few are not enough on the corpus: a run of files with large extracts outpaces the readers
while XML-only files leave them idle. Only sampled values are held for the files in flight
(at most sample size × columns strings each; the extract bytes are dropped once read), so
memory stays bounded.
"""


def audit(
    paths: Sequence[Path], config: AuditConfig, *, rules: Sequence[Rule] = ALL_RULES
) -> AuditResult:
    """Audit local files and directories. Unreadable inputs become TA901 + ``skipped``.

    Files are audited one after the other, in order. Their extracts are read up to
    :data:`FILES_READ_AHEAD` files ahead on worker threads (:class:`ReadAhead`): hyperd answers
    for the next files while this thread parses and classifies the current one. The result is
    the same as a sequential run's.
    """
    files, unreadable = collect_paths(paths)
    items: list[ItemReport] = []
    skipped = [skip_input(display_path(src), reason, config) for src, reason in unreadable]
    sources = [display_path(path) for path in files]
    size = config.policy.sample_size
    # NOTE: the classifier's one-time set-up runs while the first file waits for hyperd.
    warm_up = functools.partial(prepare_classifier, values=size > 0)
    with (
        HyperSession() as session,
        ReadAhead(session, sample_size=size, while_waiting=warm_up) as hyper,
    ):
        for index, (path, source) in enumerate(zip(files, sources, strict=True)):
            for ahead in range(index, min(index + 1 + FILES_READ_AHEAD, len(files))):
                hyper.queue(files[ahead], display=sources[ahead])
            last = index == len(files) - 1
            after_read = functools.partial(_reading_done, hyper, session) if last else None
            outcome = _audit_file(path, source, config, rules, hyper, after_read=after_read)
            hyper.release(source)  # NOTE: its sampled values must not outlive its audit
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
            else:
                items.append(outcome)
    return build_result(items, skipped, rules, config)


def _reading_done(hyper: ReadAhead, session: HyperSession) -> None:
    """No file is read any more: stop the readers, and hyperd while the last file is audited."""
    hyper.close()
    try:
        session.close_soon()
    except RuntimeError as error:  # no thread to spare: the session closes when audit() ends
        logger.debug("stopping hyperd early failed (%s)", type(error).__name__)


def _audit_file(
    path: Path,
    source: str,
    config: AuditConfig,
    rules: Sequence[Rule],
    hyper: HyperReader,
    *,
    after_read: Callable[[], object] | None = None,
) -> ItemReport | Skipped:
    size = config.policy.sample_size
    read = functools.partial(load_item, path, display=source, hyper=hyper, sample_size=size)
    loaded = guarded_read(source, config, read)
    if after_read is not None:
        after_read()
    if isinstance(loaded, Skipped):
        return loaded
    # NOTE: the samples are dropped when this frame returns: only classifications survive.
    return guarded_audit(
        source,
        config,
        lambda: audit_workbook(loaded.workbook, config, rules=rules, samples=loaded.samples),
    )


def guarded_read(
    source: str, config: AuditConfig, read: Callable[[], LoadedItem]
) -> LoadedItem | Skipped:
    """``read()``, or the item skipped: a bad input, or a parser bug, must not stop the run."""
    try:
        return read()
    except ParseError as error:
        return skip_input(source, error.reason, config)
    except Exception as error:  # NOTE: never echo the message: it can quote the file
        logger.debug("internal error while reading %s (%s)", source, type(error).__name__)
        return skip_input(source, f"internal error while reading ({type(error).__name__})", config)


def guarded_audit(
    source: str, config: AuditConfig, audit: Callable[[], ItemReport]
) -> ItemReport | Skipped:
    """``audit()``, or the item skipped: one item's internal error must not stop the run."""
    try:
        return audit()
    except Exception as error:  # NOTE: never echo the message: it can quote the file
        logger.debug("%s: internal error\n%s", source, traceback_without_message(error))
        return skip_input(source, f"internal error while auditing ({type(error).__name__})", config)


def build_result(
    items: Iterable[ItemReport],
    skipped: Iterable[Skipped],
    rules: Sequence[Rule],
    config: AuditConfig,
    *,
    complete: bool = True,
    today: datetime.date | None = None,
) -> AuditResult:
    """Sort everything into a deterministic :class:`AuditResult`.

    Configured suppressions, then the baseline, move accepted findings out of the gate
    (``suppressed`` / ``baseline``). ``today`` decides which suppressions have expired.
    """
    # NOTE: the date only decides expiry; it never appears in the result.
    gated = apply_suppressions(
        items, skipped, config.suppressions, today=today or datetime.date.today()
    )
    for expired in gated.expired:
        logger.warning("%s", describe_expired(expired))
    known = split_baseline(gated.items, gated.skipped, config.baseline or Baseline())
    return AuditResult(
        items=tuple(sorted(known.items, key=lambda item: (item.source, item.name))),
        skipped=tuple(sorted(known.skipped, key=lambda s: s.source)),
        rules_run=tuple(rule.id for rule in rules if rule.id not in config.disabled_rules),
        complete=complete,
        confidential_min_tier=config.policy.confidential_min_tier,
        suppressed=tuple(sorted(gated.suppressed, key=lambda s: _finding_order(s.finding))),
        baseline=tuple(sorted(known.known, key=_finding_order)),
        expired_suppressions=gated.expired,
    )


def _finding_order(finding: Finding) -> tuple[str, str, tuple[str, ...], str]:
    location = finding.location
    return (location.artifact, finding.rule_id, location.object_path, finding.fingerprint)


def skip_input(source: str, reason: str, config: AuditConfig) -> Skipped:
    """An input that could not be audited, with its TA901 finding."""
    rule = RULES_BY_ID["TA901"]
    location = Location(artifact=source)
    finding = Finding(
        rule_id=rule.id,
        severity=config.severity_overrides.get(rule.id, config.skipped_severity),
        message=f"Could not audit {source}: {reason}",
        location=location,
        fingerprint=fingerprint(rule.id, source, ()),
        evidence={"reason": reason},
    )
    return Skipped(source=source, reason=reason, finding=finding)


def audit_workbook(
    workbook: Workbook,
    config: AuditConfig,
    *,
    rules: Sequence[Rule] = ALL_RULES,
    samples: ExtractSamples | None = None,
    site: SiteSnapshot | None = None,
    published: Mapping[str, PublishedSourceAudit] | None = None,
    index: SiteIndex | None = None,
    classifications: Mapping[tuple[str, str], ColumnClassification] | None = None,
) -> ItemReport:
    """Run every applicable rule on one parsed item and build its report.

    ``samples`` are values read from the item's extracts; they only feed classification.
    For a published item (``workbook.server`` set), ``site`` gives its effective permissions
    and ``published`` the audits of the published data sources it may read.
    """
    usage = compute_usage(workbook)
    if classifications is None:  # given when an earlier run stored them (--history, issue 6)
        classifications = classify_columns(workbook, config, samples or ExtractSamples())
    server = workbook.server
    access = None
    if site is not None and server is not None:
        access = effective_access(site, server, index=index)
    ctx = RuleContext(
        usage=usage,
        classifications=classifications,
        confidential_min_tier=config.policy.confidential_min_tier,
        in_extract=extract_membership(workbook),
        access=access,
        published=published or {},
    )
    findings = sorted(
        _run_rules(workbook, ctx, config, rules),
        key=lambda f: (-int(f.severity), f.rule_id, f.location.object_path, f.fingerprint),
    )
    report = ItemReport(
        source=workbook.source,
        kind=workbook.kind,
        name=workbook.name,
        risk=UNASSESSED,
        findings=tuple(findings),
        columns=column_reports(workbook, ctx),
        project=workbook.project,
        item_id=workbook.item_id,
        version=workbook.version,
        extract_rows=extract_row_count(workbook),
        extracts=extract_reports(workbook, ctx.is_confidential),
        exposure=_exposure(access, workbook, ctx),
    )
    return with_risk(report, min_tier=config.policy.confidential_min_tier)


def _exposure(
    access: EffectiveAccess | None, workbook: Workbook, ctx: RuleContext
) -> Exposure | None:
    """A published item's exposure; ``None`` for a local file (no permissions)."""
    server = workbook.server
    if access is None or server is None:
        return None
    from tableau_audit.exposure import exposure_of, published_ids

    return exposure_of(access, workbook.kind, published_ids(server, ctx.published))


def classify_columns(
    workbook: Workbook, config: AuditConfig, samples: ExtractSamples
) -> Mapping[tuple[str, str], ColumnClassification]:
    """Classify every physical column by name, and by value where its extract was sampled."""
    found: dict[tuple[str, str], ColumnClassification] = {}
    # NOTE: data sources over the same extract table get the same tuple of values; it is
    # judged once per datatype. Keyed by id(): every tuple stays alive in ``samples`` for the
    # whole loop, and the dict dies with this call.
    judged: dict[tuple[int, str], ValueEvidence] = {}
    for ds in workbook.datasources:
        for col in ds.columns:
            values = samples.get(ds.name, col.name)
            evidence = None
            if values is not None:
                # NOTE: imported only when values were sampled: a scan without extracts never
                # loads the value validators (~8 ms of start-up).
                from tableau_audit.classify.values import evaluate_values

                key = (id(values), col.datatype)
                evidence = judged.get(key)
                if evidence is None:
                    evidence = judged[key] = evaluate_values(values, datatype=col.datatype)
            verdict = classify_column(
                datasource_caption=ds.caption,
                name=col.name,
                remote_name=col.remote_name,
                caption=col.caption,
                datatype=col.datatype,
                values=evidence,
                policy=config.policy,
            )
            if verdict is not None:
                found[(ds.name, col.name)] = verdict
    return found


def _selected(rules: Sequence[Rule], config: AuditConfig) -> Iterator[Rule]:
    for rule in rules:
        if rule.check is not None and rule.id not in config.disabled_rules:
            yield rule


def _run_rules(
    workbook: Workbook, ctx: RuleContext, config: AuditConfig, rules: Sequence[Rule]
) -> Iterator[Finding]:
    for rule in _selected(rules, config):
        if workbook.kind not in rule.applies_to or rule.check is None:
            continue
        try:
            violations = list(rule.check(workbook, ctx))
        except Exception as error:  # a rule that raises is a bug: record it and go on
            logger.debug(
                "rule %s failed on %s\n%s",
                rule.id,
                workbook.source,
                traceback_without_message(error),
            )
            yield _rule_failure(rule, workbook, error, config)
            continue
        for violation in violations:
            yield stamp(rule, violation, workbook, config)


def _rule_failure(rule: Rule, workbook: Workbook, error: Exception, config: AuditConfig) -> Finding:
    failure = Violation(
        location=Location(artifact=workbook.source, object_path=(f"rule:{rule.id}",)),
        message=(
            f"Rule {rule.id} ({rule.name}) failed with an internal error ({type(error).__name__})"
        ),
    )
    return stamp(RULES_BY_ID["TA903"], failure, workbook, config)


def stamp(rule: Rule, violation: Violation, workbook: Workbook, config: AuditConfig) -> Finding:
    """Turn a violation into a finding with the rule's id, severity and a stable fingerprint."""
    severity: Severity = rule.severity
    if rule.graded and violation.severity is not None:
        severity = violation.severity
    severity = config.severity_overrides.get(rule.id, severity)
    identity = workbook.item_id or workbook.source
    return Finding(
        rule_id=rule.id,
        severity=severity,
        message=violation.message,
        location=violation.location,
        fingerprint=fingerprint(rule.id, identity, violation.location.object_path),
        evidence=dict(violation.evidence),
    )


def column_reports(workbook: Workbook, ctx: RuleContext) -> tuple[ColumnReport, ...]:
    """One report per physical column, with usage and classification."""
    reports: list[ColumnReport] = []
    for ds in workbook.datasources:
        usage = ctx.usage.get(ds.name, DatasourceUsage(used=frozenset()))
        located = extract_locations(ds)
        # NOTE: without an extract, whether the data ships depends on the data source alone
        # (a packed raw file), so it is computed once instead of once per column.
        ships = data_ships(workbook, ds, None) if ds.extract is None else None
        for col in ds.columns:
            in_extract = ctx.column_in_extract(ds, col)
            table, column = located.get(col.name, ("", ""))
            reports.append(
                ColumnReport(
                    datasource=ds.caption,
                    field=col.caption,
                    remote_name=col.remote_name,
                    in_extract=in_extract,
                    used=col.name in usage.used,
                    hidden=col.hidden,
                    classification=ctx.classification(ds, col),
                    used_by=tuple(usage.reasons.get(col.name, ())),
                    extract_only=col.extract_only,
                    extract_table=table,
                    extract_column=column,
                    data_in_file=(data_ships(workbook, ds, in_extract) if ships is None else ships),
                )
            )
    return tuple(reports)
