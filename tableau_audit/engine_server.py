"""The orchestrator of a Tableau Server / Cloud site audit (issue 4), over :mod:`.engine`.

Published data sources first, then workbooks, each downloaded, read and audited through the
same :func:`~tableau_audit.engine.audit_workbook` as a local file, with the site's effective
permissions. A local ``scan`` never imports this module.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from tableau_audit.classify.types import ColumnClassification
from tableau_audit.config import AuditConfig
from tableau_audit.engine import (
    audit_workbook,
    build_result,
    classify_columns,
    guarded_audit,
    guarded_read,
    skip_input,
)
from tableau_audit.findings import AuditResult, ItemReport, PublishedSourceAudit, Skipped
from tableau_audit.model import ArtifactKind, ServerItem, SiteSnapshot, Workbook
from tableau_audit.parsing import load_item
from tableau_audit.parsing.hyper import HyperSession
from tableau_audit.permissions import SiteIndex, site_index
from tableau_audit.rules import ALL_RULES, Rule

if TYPE_CHECKING:
    from tableau_audit.sources.cache import ContentCache, StoredAnalysis
    from tableau_audit.sources.interface import FetchedItem, PublishedContentSource

__all__ = ["as_published", "audit_server"]


def audit_server(
    source: PublishedContentSource,
    config: AuditConfig,
    *,
    rules: Sequence[Rule] = ALL_RULES,
    cache: ContentCache | None = None,
) -> AuditResult:
    """Audit a site: its published data sources first, then its workbooks.

    Each item's report is built as soon as it is downloaded, and neither its file nor its
    ``Workbook`` is kept afterwards, so memory stays flat in the number of items. A data
    source's audit is reduced to its confidential columns and handed to the workbooks that
    read it (TA250: the columns and the extract of a published data source live there, not in
    the workbook). Items the server would not hand out become TA901 and an incomplete result.

    With a ``cache`` (``--history``, issue 6) each freshly analysed item is stored, and an
    :class:`UnchangedItem` is audited on its stored analysis without a download.
    """
    from tableau_audit.sources.cache import UnchangedItem
    from tableau_audit.sources.interface import FetchFailure

    run = _SiteRun(source.snapshot(), config, rules, cache)
    items: list[ItemReport] = []
    skipped: list[Skipped] = []
    complete = True
    with HyperSession() as hyper:
        for fetched in source.items():
            if isinstance(fetched, FetchFailure):
                complete = False
                skipped.append(skip_input(fetched.source, fetched.reason, config))
                continue
            if isinstance(fetched, UnchangedItem):
                stored = cache.load(fetched.item) if cache is not None else None
                if stored is None:  # NOTE: not audited this run, as when a fetch fails
                    complete = False
                    skipped.append(skip_input(fetched.item.url, _UNREADABLE_ANALYSIS, config))
                    continue
                outcome = run.audit_stored(fetched.item, stored)
            else:
                outcome = run.audit_downloaded(fetched, hyper)
            if isinstance(outcome, Skipped):
                skipped.append(outcome)
                continue
            items.append(outcome)
            run.remember(fetched.item, outcome)
    return build_result(items, skipped, rules, config, complete=complete)


def as_published(workbook: Workbook, item: ServerItem) -> Workbook:
    """The parsed (or stored) item, named and identified as the server knows it."""
    return dataclasses.replace(
        workbook,
        source=item.url,
        name=item.name or workbook.name,
        project=item.project_name,
        item_id=item.id,
        server=item,
    )


_UNREADABLE_ANALYSIS = "its stored analysis could not be read (it is downloaded on the next run)"


class _SiteRun:
    """What every item of one site audit is audited against: the site's snapshot and index,
    and the published data sources audited so far (TA250 reads them for the workbooks)."""

    def __init__(
        self,
        site: SiteSnapshot,
        config: AuditConfig,
        rules: Sequence[Rule],
        cache: ContentCache | None,
    ) -> None:
        self.site = site
        self.index: SiteIndex = site_index(site)  # user classes and memberships: once per run
        self.config = config
        self.rules = rules
        self.cache = cache
        self.published: dict[str, PublishedSourceAudit] = {}

    def audit_downloaded(self, fetched: FetchedItem, hyper: HyperSession) -> ItemReport | Skipped:
        """Read a downloaded item, classify it (stored for the history) and audit it."""
        item, config = fetched.item, self.config
        size = config.policy.sample_size
        read = functools.partial(
            load_item, fetched.content, display=item.url, hyper=hyper, sample_size=size
        )
        loaded = guarded_read(item.url, config, read)
        if isinstance(loaded, Skipped):
            return loaded
        workbook = as_published(loaded.workbook, item)

        def classify_and_audit() -> ItemReport:
            # NOTE: classified here, not in audit_workbook, so that the history can keep the
            # verdicts (counts and masked exemplars); the samples are dropped with this frame.
            found = classify_columns(workbook, config, loaded.samples)
            if self.cache is not None:
                from tableau_audit.sources.cache import StoredAnalysis

                self.cache.store(item, StoredAnalysis(workbook=workbook, classifications=found))
            return self._audit(workbook, found)

        return guarded_audit(item.url, config, classify_and_audit)

    def audit_stored(self, item: ServerItem, stored: StoredAnalysis) -> ItemReport | Skipped:
        """Re-evaluate the rules of an unchanged item on its stored analysis (no download)."""
        workbook = as_published(stored.workbook, item)
        audit = functools.partial(self._audit, workbook, stored.classifications)
        return guarded_audit(item.url, self.config, audit)

    def remember(self, item: ServerItem, report: ItemReport) -> None:
        """Keep a published data source's confidential columns for the workbooks that read it."""
        if item.kind is ArtifactKind.DATASOURCE:
            from tableau_audit.exposure import published_source_audit

            tier = self.config.policy.confidential_min_tier
            self.published[item.id] = published_source_audit(report, item, tier)

    def _audit(
        self, workbook: Workbook, classifications: Mapping[tuple[str, str], ColumnClassification]
    ) -> ItemReport:
        return audit_workbook(
            workbook,
            self.config,
            rules=self.rules,
            site=self.site,
            published=self.published,
            index=self.index,
            classifications=classifications,
        )
