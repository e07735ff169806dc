"""Risk model (sensitivity × exposure): the worked examples of docs/risk.md and the matrix cells.

The generated samples are audited for real (engine, Hyper); the server exposure is then set on
the report as ``audit_server`` would, and the risk re-assessed: the model is a pure function
of the report, so this is exactly what a server run computes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from fixtures.samples import doj, special
from tableau_audit.classify.types import Tier
from tableau_audit.config import AuditConfig
from tableau_audit.findings import Audience, Exposure, ItemReport, Location, RiskLevel, Severity
from tableau_audit.model import ArtifactKind
from tableau_audit.risk import (
    AVOIDABLE_FACTOR,
    BANDS,
    HALF_SCORE_POINTS,
    MATRIX,
    POINTS,
    UNASSESSED,
    Reach,
    assess_risk,
    with_risk,
)
from tests.factories import make_classification, make_column, make_finding, make_item

MODERATE = Tier.MODERATE
EVERYONE = Audience(all_users=True, guest=False, users_allowed=40)
GUEST = Audience(all_users=False, guest=True)
ONE_GROUP = Audience(all_users=False, guest=False, groups=("Investigators",), users_allowed=5)
NOBODY = Audience(all_users=False, guest=False)
WORKBOOK_ACTIONS = ("view", "download_summary_data", "download_full_data", "download_workbook")


def exposure(**audiences: Audience) -> Exposure:
    """A workbook's exposure block; actions not named are held by nobody."""
    return Exposure(
        governed_by="item", audiences={a: audiences.get(a, NOBODY) for a in WORKBOOK_ACTIONS}
    )


def score(level: RiskLevel, points: float) -> int:
    """docs/risk.md: the band's floor plus its width × points / (points + 20)."""
    low, high = BANDS[level]
    return low + round((high - low) * points / (points + HALF_SCORE_POINTS))


# Points of the DOJ sample: 3 high-tier and 4 moderate-tier columns, all unused, all extracted.
DOJ_POINTS = 3 * POINTS[Tier.HIGH] * AVOIDABLE_FACTOR + 4 * POINTS[MODERATE] * AVOIDABLE_FACTOR
# HR sample: 4 used moderate columns and Salary (moderate) unused, all extracted.
HR_POINTS = 4 * POINTS[MODERATE] + POINTS[MODERATE] * AVOIDABLE_FACTOR


@pytest.fixture(scope="module")
def audited(generated_samples: Path) -> dict[str, ItemReport]:
    from tableau_audit.engine import audit

    names = (
        "doj_permits.twbx",
        "hr_shown.twbx",
        "clean_sales.twbx",
        "credentials.twb",
        "hidden_in_extract.twbx",
        "customers.tdsx",
    )
    result = audit([generated_samples / n for n in names], AuditConfig())
    return {Path(item.source).name: item for item in result.items}


def published(item: ItemReport, exposure: Exposure) -> ItemReport:
    return with_risk(dataclasses.replace(item, exposure=exposure), min_tier=MODERATE)


# --- worked examples (docs/risk.md) ----------------------------------------------------------


@pytest.mark.hyper
def test_doj_pattern_downloadable_by_everyone_is_critical(audited: dict[str, Any]) -> None:
    item = published(
        audited["doj_permits.twbx"],
        exposure(view=EVERYONE, download_full_data=EVERYONE, download_workbook=GUEST),
    )
    assert item.risk.level is RiskLevel.CRITICAL
    assert item.risk.score == score(RiskLevel.CRITICAL, DOJ_POINTS) == 93
    assert item.risk.reasons[0] == "critical: high-tier data that everyone can download"
    assert item.risk.reasons[-1] == (
        "everyone signed in (All Users) can view it and download full data; "
        "nobody besides owners and administrators can download summary data; "
        "visitors without an account (Guest) can download the workbook"
    )


@pytest.mark.hyper
def test_doj_pattern_visible_to_one_group_is_at_most_high(audited: dict[str, Any]) -> None:
    one_group = dict.fromkeys(WORKBOOK_ACTIONS, ONE_GROUP)
    item = published(audited["doj_permits.twbx"], exposure(**one_group))
    assert item.risk.level is RiskLevel.HIGH
    assert item.risk.score == score(RiskLevel.HIGH, DOJ_POINTS) == 68
    assert item.risk.reasons[-1] == (
        "only group 'Investigators' can view it, download summary data, download full data "
        "and download the workbook"
    )


@pytest.mark.hyper
def test_doj_pattern_as_a_local_file_is_high(audited: dict[str, Any]) -> None:
    risk = audited["doj_permits.twbx"].risk
    assert risk.level is RiskLevel.HIGH
    assert risk.score == score(RiskLevel.HIGH, DOJ_POINTS)
    assert risk.reasons == (
        "high: high-tier data in a local file (who receives it is not known)",
        "3 high-tier and 4 moderate-tier confidential columns",
        "none of them is used by any sheet, calculation, filter or action",
        "all of them are in the file (packaged extract or packed data file): whoever gets "
        "the file gets the values",
        "local file: not published, so who will see it is not known",
    )


@pytest.mark.hyper
def test_doj_pattern_nobody_else_granted_is_medium(audited: dict[str, Any]) -> None:
    item = published(audited["doj_permits.twbx"], exposure())
    assert item.risk.level is RiskLevel.MEDIUM
    assert item.risk.reasons[0] == (
        "medium: high-tier data that only its owner and administrators can reach"
    )


@pytest.mark.hyper
def test_doj_pattern_everyone_views_but_cannot_download_is_high(audited: dict[str, Any]) -> None:
    # The confidential columns are unused: no view shows them, so viewing alone hands out none.
    item = published(audited["doj_permits.twbx"], exposure(view=EVERYONE))
    assert item.risk.level is RiskLevel.HIGH
    assert item.risk.reasons[0] == "high: high-tier data that only some users can reach"


@pytest.mark.hyper
def test_clean_workbook_is_none_and_low_when_everyone_downloads(audited: dict[str, Any]) -> None:
    local = audited["clean_sales.twbx"].risk
    assert (local.level, local.score) == (RiskLevel.NONE, 0)
    assert local.reasons[0] == "none: no confidential data or stored secrets found"
    public = published(audited["clean_sales.twbx"], exposure(download_workbook=EVERYONE)).risk
    assert (public.level, public.score) == (RiskLevel.LOW, 1)
    assert public.reasons[0] == "low: no confidential data found, but everyone can download it"


@pytest.mark.hyper
def test_hr_workbook_showing_its_columns(audited: dict[str, Any]) -> None:
    local = audited["hr_shown.twbx"].risk
    assert (local.level, local.score) == (RiskLevel.MEDIUM, score(RiskLevel.MEDIUM, HR_POINTS))
    assert "1 of them is not used by any sheet, calculation, filter or action" in local.reasons
    # The used columns are on screen for everyone: moderate data everyone can see is high.
    viewed = published(audited["hr_shown.twbx"], exposure(view=EVERYONE)).risk
    assert viewed.level is RiskLevel.HIGH
    assert viewed.reasons[0] == "high: moderate-tier data that everyone can see"
    downloaded = published(audited["hr_shown.twbx"], exposure(download_full_data=GUEST)).risk
    assert downloaded.level is RiskLevel.HIGH  # moderate tier never reaches critical


@pytest.mark.hyper
def test_stored_credentials(audited: dict[str, Any]) -> None:
    item = audited["credentials.twb"]
    kinds = [str(f.evidence.get("kind")) for f in item.findings if f.rule_id == "TA303"]
    credentials = 1 + sum(1 for k in kinds if "credential" in k or "password" in k)
    tokens = len(kinds) - (credentials - 1)
    points = credentials * POINTS[Tier.HIGH] + tokens * POINTS[MODERATE]
    assert (item.risk.level, item.risk.score) == (RiskLevel.HIGH, score(RiskLevel.HIGH, points))
    assert item.risk.reasons[:3] == (
        "high: high-tier credentials in a local file (who receives it is not known)",
        "1 database password stored in the file",
        f"{len(kinds)} other secrets (API keys, tokens, credentials) stored in the file",
    )
    public = published(item, exposure(download_workbook=EVERYONE)).risk
    assert public.level is RiskLevel.CRITICAL
    private = published(item, exposure(view=EVERYONE, download_full_data=EVERYONE)).risk
    assert private.level is RiskLevel.MEDIUM  # the file itself is not handed out


@pytest.mark.hyper
def test_hidden_column_counts_only_where_the_file_is_handed_out(audited: dict[str, Any]) -> None:
    item = audited["hidden_in_extract.twbx"]
    assert "1 hidden column still in the packaged data" in item.risk.reasons
    # Full data leaves hidden fields out: only the used moderate columns go to everyone.
    rows = published(item, exposure(download_full_data=EVERYONE)).risk
    assert rows.reasons[0] == "high: moderate-tier data that everyone can download"
    files = published(item, exposure(download_workbook=EVERYONE)).risk
    assert files.reasons[0] == "critical: high-tier data that everyone can download"


@pytest.mark.hyper
def test_datasource_columns_are_neither_used_nor_unused(audited: dict[str, Any]) -> None:
    risk = audited["customers.tdsx"].risk
    assert risk.level is RiskLevel.MEDIUM
    assert risk.score == score(RiskLevel.MEDIUM, 4 * POINTS[MODERATE])
    assert not [r for r in risk.reasons if "used by" in r]


@pytest.mark.hyper
def test_reasons_hold_no_values(audited: dict[str, Any]) -> None:
    values = {str(v) for row in doj.rows()[""] for v in row.values() if len(str(v)) > 3}
    values |= {special.FAKE_DB_PASSWORD, special.FAKE_INITIAL_SQL_PASSWORD}
    values |= {special.FAKE_MAPBOX_TOKEN, special.FAKE_MAPBOX_TOKEN[3:20]}
    text = "\n".join(r for item in audited.values() for r in item.risk.reasons)
    assert not [v for v in values if v in text]


# --- model cells (hand-built reports) --------------------------------------------------------


def test_matrix_is_monotonic_in_tier_and_reach() -> None:
    for tier in Tier:
        row = [int(level) for level in MATRIX[tier]]
        assert row == sorted(row), tier
    for reach in Reach:
        column = [int(MATRIX[tier][reach]) for tier in sorted(Tier)]
        assert column == sorted(column), reach
    assert MATRIX[Tier.HIGH][Reach.EVERYONE_DOWNLOADS] is RiskLevel.CRITICAL
    assert [t for t in Tier if RiskLevel.CRITICAL in MATRIX[t]] == [Tier.HIGH]


def test_named_only_column_is_one_tier_lower_locally_but_not_on_the_server() -> None:
    item = make_item(columns=(make_column(in_extract=None, data_in_file=False),), findings=())
    local = assess_risk(item, min_tier=MODERATE)
    assert local.level is RiskLevel.MEDIUM  # high tier, only named: moderate × unknown audience
    assert "it is only named: the file does not hold its values" in local.reasons
    # On the server a live connection answers every viewer: the values are reachable.
    server = assess_risk(
        dataclasses.replace(item, exposure=exposure(download_full_data=EVERYONE)),
        min_tier=MODERATE,
    )
    assert server.level is RiskLevel.CRITICAL


def test_columns_below_the_policy_tier_do_not_count() -> None:
    low = make_classification(tier=Tier.LOW)
    item = make_item(columns=(make_column(classification=low, data_in_file=True),), findings=())
    assert assess_risk(item, min_tier=MODERATE).level is RiskLevel.NONE
    assert assess_risk(item, min_tier=Tier.LOW).level is RiskLevel.LOW


def test_published_datasource_columns_reached_through_the_workbook() -> None:
    finding = make_finding(
        rule_id="TA250",
        severity=Severity.CRITICAL,
        location=Location(
            artifact="https://srv/#/workbooks/1",
            object_path=("published-datasource:Permits", "datasource:Permits", "column:SSN"),
        ),
        evidence={"type": "ssn", "tier": "high", "audience": ["all_users"]},
    )
    item = make_item(columns=(), findings=(finding,), exposure=exposure(download_full_data=GUEST))
    risk = assess_risk(item, min_tier=MODERATE)
    assert risk.level is RiskLevel.CRITICAL
    assert "1 confidential column that everyone can download" in risk.reasons


def test_assessment_is_pure_and_ignores_the_previous_risk() -> None:
    item = make_item(columns=(make_column(data_in_file=True),), findings=())
    first = with_risk(dataclasses.replace(item, risk=UNASSESSED), min_tier=MODERATE)
    again = with_risk(first, min_tier=MODERATE)
    assert first.risk == again.risk == assess_risk(item, min_tier=MODERATE)
    assert first.risk.level is RiskLevel.HIGH
    assert first.risk.score == score(RiskLevel.HIGH, POINTS[Tier.HIGH] * AVOIDABLE_FACTOR)


def test_score_stays_inside_the_band_however_many_columns() -> None:
    many = tuple(make_column(field=f"SSN {i}", data_in_file=True) for i in range(500))
    risk = assess_risk(
        make_item(columns=many, findings=(), exposure=exposure(download_workbook=EVERYONE)),
        min_tier=MODERATE,
    )
    assert risk.level is RiskLevel.CRITICAL
    assert BANDS[RiskLevel.CRITICAL][0] <= risk.score <= 100


def test_datasource_kind_uses_connect_and_api_channels() -> None:
    column = make_column(data_in_file=False, used=False)
    audiences = dict.fromkeys(("view", "connect", "download_datasource", "api_access"), NOBODY)
    audiences["connect"] = EVERYONE
    item = make_item(
        kind=ArtifactKind.DATASOURCE,
        columns=(column,),
        findings=(),
        exposure=Exposure(governed_by="locked project Finance", audiences=audiences),
    )
    risk = assess_risk(item, min_tier=MODERATE)
    assert risk.level is RiskLevel.CRITICAL
    assert risk.reasons[-1].endswith("(set by the locked project Finance)")
