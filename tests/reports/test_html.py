"""HTML reporter without a browser: escaping, CSP hashes, content, determinism, packaging.

The page itself (scripts run, filters and sorting work, no console error) is checked in real
headless Chromium by ``test_html_browser.py``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import sys
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from tableau_audit.classify.types import Tier
from tableau_audit.findings import (
    Audience,
    ExpiredSuppression,
    Exposure,
    ExtractReport,
    Location,
    Risk,
    RiskLevel,
    Severity,
    SuppressedFinding,
)
from tableau_audit.model import ArtifactKind
from tableau_audit.reports import REPORTERS
from tableau_audit.reports.html import HtmlReporter, csp_hash, evidence, used_by
from tests.factories import (
    make_classification,
    make_column,
    make_finding,
    make_item,
    make_result,
    make_skipped,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>window.__pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=2">'


def _render(**overrides: Any) -> str:
    return HtmlReporter().render(make_result(**overrides))


def _doc(html: str) -> Any:
    return lxml.html.document_fromstring(html)


def _texts(doc: Any, xpath: str) -> list[str]:
    """Text of each match, its pieces joined by one space."""
    return [" ".join(" ".join(e.itertext()).split()) for e in doc.xpath(xpath)]


def hostile_result() -> Any:
    """Every attacker-controlled string in the model carries markup."""
    finding = make_finding(
        artifact=f"evil{HOSTILE}.twbx",
        object_path=(f"datasource:DS{HOSTILE}", f"column:{HOSTILE_IMG}"),
        message=f"Confidential column {HOSTILE_IMG} is never used",
    )
    item = make_item(
        source=f"evil{HOSTILE}.twbx",
        name=HOSTILE,
        project=f"P{HOSTILE}",
        risk=Risk(level=RiskLevel.HIGH, score=70, reasons=(f"reason {HOSTILE}",)),
        findings=(finding,),
        columns=(
            make_column(
                datasource=f"DS{HOSTILE}",
                field=HOSTILE_IMG,
                remote_name=f"r{HOSTILE}",
                used=True,
                used_by=(f"worksheet:{HOSTILE}",),
                classification=make_classification(exemplars=(f"***{HOSTILE}",)),
            ),
        ),
        extracts=(
            ExtractReport(
                datasource=f"DS{HOSTILE}", file=f"{HOSTILE}.hyper", status="packaged", readable=True
            ),
        ),
        exposure=Exposure(
            governed_by=f"locked project {HOSTILE}",
            audiences={"view": Audience(all_users=False, guest=False, groups=(HOSTILE,))},
            views_with_own_rules=(HOSTILE,),
            published_datasources=(HOSTILE,),
        ),
    )
    return make_result(items=(item,), skipped=(make_skipped(f"x{HOSTILE}.twb", HOSTILE_IMG),))


def test_registry_holds_the_html_reporter_under_its_name() -> None:
    assert isinstance(REPORTERS["html"], HtmlReporter)
    assert REPORTERS["html"].name == "html"


def test_names_with_markup_are_text_everywhere() -> None:
    html = HtmlReporter().render(hostile_result())
    doc = _doc(html)
    # Our own script is the only element the hostile strings could have created.
    assert len(doc.xpath("//script")) == 1
    assert doc.xpath("//img") == []
    assert "__pwned" not in doc.xpath("//script")[0].text
    assert "<script>window" not in html
    assert "<img src=x" not in html
    text = doc.text_content()
    assert text.count(HOSTILE) >= 10
    assert HOSTILE_IMG in text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in html


def test_hostile_name_in_an_attribute_cannot_break_out() -> None:
    doc = _doc(HtmlReporter().render(hostile_result()))
    (card,) = doc.xpath("//article[@class='card risk-high']")
    assert card.get("data-search") == f"{HOSTILE} evil{HOSTILE}.twbx"
    assert set(card.attrib) == {"class", "id", "data-search", "aria-labelledby"}


def _inline(html: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)
    assert match is not None
    return match.group(1)


def _policy(html: str) -> dict[str, str]:
    (meta,) = _doc(html).xpath("//meta[@http-equiv='Content-Security-Policy']")
    directives = (d.strip().split(" ", 1) for d in meta.get("content").split(";"))
    return dict(directives)


def test_csp_allows_exactly_the_inline_style_and_script_by_hash() -> None:
    html = _render()
    policy = _policy(html)
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        digest = hashlib.sha256(_inline(html, tag).encode("utf-8")).digest()
        assert policy[directive] == f"'sha256-{base64.b64encode(digest).decode()}'"
    assert policy["default-src"] == "'none'"
    assert "unsafe" not in html.split("<style>", 1)[0]


def test_csp_hash_of_known_text() -> None:
    # echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64
    assert str(csp_hash("alert(1)")) == "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"


def test_page_is_self_contained() -> None:
    html = _render(skipped=(make_skipped(),))
    doc = _doc(html)
    assert doc.xpath("//*[@src] | //link | //iframe | //object | //embed | //base | //img") == []
    assert doc.xpath("//*[@style]") == []  # the CSP would block inline style attributes
    assert not [a for e in doc.iter() for a in e.attrib if a.startswith("on")]
    assert re.search(r"https?://|url\(|@import", html) is None


def test_output_is_deterministic() -> None:
    result = hostile_result()
    assert HtmlReporter().render(result) == HtmlReporter().render(result)


def _three_items() -> Any:
    high = make_item(
        source="a/permits.twbx",
        name="Permits",
        risk=Risk(level=RiskLevel.HIGH, score=70, reasons=("3 unused high-tier columns",)),
        findings=(
            make_finding(artifact="a/permits.twbx", severity=Severity.MEDIUM),
            make_finding(
                rule_id="TA301",
                severity=Severity.HIGH,
                message="Password stored",
                location=Location(artifact="a/permits.twbx", object_path=("datasource:DB",)),
            ),
        ),
        columns=(
            make_column(),
            make_column(field="Notes", remote_name="notes", classification=None),
            make_column(
                field="Zip",
                remote_name="Zip",
                used=True,
                used_by=("worksheet:Map", "filter", "calculation:A", "calculation:B"),
                in_extract=None,
                hidden=True,
                classification=make_classification(tier=Tier.LOW),
            ),
        ),
        extract_rows=12345,
        extracts=(
            ExtractReport(
                datasource="Permits",
                file="Data/Extracts/permits.hyper",
                status="packaged",
                readable=True,
                tables=1,
                rows=12345,
                columns=3,
                undescribed_columns=1,
                confidential_columns=1,
            ),
        ),
    )
    low = make_item(
        source="b/sales.twb",
        name="Sales",
        risk=Risk(level=RiskLevel.LOW, score=10),
        findings=(make_finding(artifact="b/sales.twb", rule_id="TA104", severity=Severity.LOW),),
        columns=(),
    )
    none = make_item(
        source="c/clean.twbx",
        name="Clean",
        risk=Risk(level=RiskLevel.NONE, score=0),
        findings=(),
        columns=(),
    )
    return make_result(items=(low, none, high), skipped=(make_skipped(),))


def test_summary_comes_first_with_the_shared_figures() -> None:
    doc = _doc(HtmlReporter().render(_three_items(), fail_on=Severity.MEDIUM))
    sections = [s.get("id") for s in doc.xpath("//main/section")]
    assert sections == ["summary", "items", "skipped", "rules"]
    tiles = _texts(doc, "//div[@class='tile']")
    assert tiles == [
        "Items audited 3 1 could not be audited",
        "Findings 4 3 at or above --fail-on medium",
        "Confidential columns 1 1 never used by any sheet",
        "Highest risk high 1 item at this level",
    ]
    assert _texts(doc, "//ul[@class='legend']/li") == [
        "critical 0",
        "high 1",
        "medium 0",
        "low 1",
        "none 1",
    ]
    assert _texts(doc, "//div[@class='panel'][2]//li") == [
        "critical 0",
        "high 2",
        "medium 1",
        "low 1",
        "info 0",
    ]
    assert _texts(doc, "//p[contains(@class, 'run')]") == ["Complete run: every input was reached."]


def test_incomplete_run_is_announced() -> None:
    doc = _doc(_render(complete=False))
    (banner,) = doc.xpath("//p[@role='alert']")
    assert "Incomplete run" in banner.text_content()


def test_items_are_listed_riskiest_first_with_anchors() -> None:
    doc = _doc(HtmlReporter().render(_three_items()))
    assert _texts(doc, "//table[contains(@class, 'overview')]/tbody/tr/td[1]") == [
        "Permits",
        "Sales",
        "Clean",
    ]
    assert [a.get("href") for a in doc.xpath("//table[contains(@class,'overview')]//a")] == [
        "#item-1",
        "#item-2",
        "#item-3",
    ]
    assert [c.get("id") for c in doc.xpath("//article")] == ["item-1", "item-2", "item-3"]
    assert _texts(doc, "//article[1]//div[@class='reasons']//li") == ["3 unused high-tier columns"]
    assert _texts(doc, "//article[1]//span[contains(@class,'badge')]") == ["high risk"]
    assert _texts(doc, "//article[3]//span[contains(@class,'badge')]") == ["no risk"]


def test_findings_table_is_worst_first_with_filter_attributes() -> None:
    doc = _doc(HtmlReporter().render(_three_items()))
    rows = doc.xpath("//article[1]//tr[@class='finding']")
    assert [(r.get("data-rule"), r.get("data-severity")) for r in rows] == [
        ("TA301", "3"),
        ("TA101", "2"),
    ]
    assert _texts(doc, "//article[1]//tr[@class='finding']/td[3]") == [
        "DB",
        "Permits › , field SSN",
    ]
    assert doc.xpath("//table[contains(@class,'findings')]/@class") == ["findings sortable"] * 2
    options = doc.xpath("//select[@id='filter-rule']/option/@value")
    assert options == ["", "TA101", "TA104", "TA301", "TA901"]


def test_column_tables_show_usage_extract_and_classification() -> None:
    doc = _doc(HtmlReporter().render(_three_items()))
    confidential = doc.xpath("//article[1]//table[contains(@class,'columns')]")[0]
    assert _texts(confidential, "./tbody/tr/td") == [
        "Permits",
        "SSN ssn",
        "ssn",
        "high",
        "90%",
        "name only",
        "no",
        "yes",
        "",
    ]
    (details,) = doc.xpath("//article[1]//details")
    rows = [_texts(r, "./td") for r in details.xpath(".//tbody/tr")]
    assert rows == [
        ["Permits", "Notes notes", "—", "—", "—", "—", "no", "yes", ""],
        [
            "Permits",
            "Zip",
            "ssn",
            "low",
            "90%",
            "name only",
            "yes worksheet:Map, filter, calculation:A +1 more",
            "no extract",
            "hidden",
        ],
    ]
    extract = _texts(doc, "//article[1]//table[@class='extracts']/tbody/tr/td")
    assert extract == [
        "Permits", "Data/Extracts/permits.hyper", "packaged", "1", "12,345", "3", "1", "1",
    ]  # fmt: skip


def test_skipped_inputs_have_their_own_section() -> None:
    doc = _doc(_render(skipped=(make_skipped("x.twb", "not a Tableau file"),)))
    assert _texts(doc, "//section[@id='skipped']//tbody/tr/td") == [
        "x.twb",
        "not a Tableau file",
        "high",
    ]


def test_exposure_block_when_present() -> None:
    exposure = Exposure(
        governed_by="locked project Finance",
        audiences={
            "view": Audience(all_users=True, guest=True, groups=("Analysts",), users_allowed=40),
            "download_full_data": Audience(all_users=False, guest=False, users=("ann",)),
            "download_workbook": Audience(all_users=False, guest=False),
        },
        views_with_own_rules=("Map",),
    )
    doc = _doc(_render(items=(make_item(exposure=exposure),)))
    (table,) = doc.xpath("//table[@class='exposure']")
    assert [_texts(r, "./*") for r in table.xpath("./tbody/tr")] == [
        ["View", "Guest (no sign-in) All users group Analysts", "40"],
        ["Download full data", "user ann", "0"],
        ["Download workbook", "owners and administrators only", "0"],
    ]
    assert _texts(doc, "//article//p[@class='note']") == [
        "Permissions governed by locked project Finance.",
        "Views with their own permissions: Map",
    ]


def test_local_items_have_no_exposure_block() -> None:
    assert _doc(_render()).xpath("//table[@class='exposure']") == []


def test_accepted_findings_section() -> None:
    suppressed = SuppressedFinding(
        finding=make_finding(), reason="approved by DPO", expires=datetime.date(2031, 1, 2)
    )
    expired = ExpiredSuppression(
        index=0,
        selector="TA101 field='SSN'",
        reason="old",
        expires=datetime.date(2020, 1, 1),
        findings=2,
    )
    doc = _doc(
        _render(
            suppressed=(suppressed,), baseline=(make_finding(),), expired_suppressions=(expired,)
        )
    )
    section = doc.xpath("//section[@id='accepted']")[0]
    assert _texts(section, ".//table[@class='expired']/tbody/tr/td") == [
        "#0",
        "TA101 field='SSN'",
        "old",
        "2020-01-01",
        "2",
    ]
    suppressed_row = _texts(section, ".//table[contains(@class,'suppressed')]/tbody/tr/td")
    assert suppressed_row[-2:] == ["approved by DPO", "2031-01-02"]
    assert len(section.xpath(".//table[contains(@class,'baseline')]/tbody/tr")) == 1
    assert _texts(doc, "//p[@class='run accepted']") == [
        "Not counted above: 1 suppressed finding, 1 already in the baseline."
        " 1 expired suppression no longer suppresses anything."
    ]


def test_empty_run_renders() -> None:
    doc = _doc(_render(items=(), rules_run=()))
    assert "No items were audited." in doc.text_content()
    assert doc.xpath("//div[@id='toolbar']") == []
    assert "Rules run: none." in doc.text_content()


def test_every_kind_renders() -> None:
    items = tuple(
        make_item(source=f"{kind.value}.x", name=kind.value, kind=kind) for kind in ArtifactKind
    )
    doc = _doc(_render(items=items))
    assert sorted(_texts(doc, "//table[contains(@class,'overview')]/tbody/tr/td[3]")) == sorted(
        k.value for k in ArtifactKind
    )


def test_helpers() -> None:
    assert evidence(make_classification()) == "name only"
    sampled = make_classification(
        name_only=False, sample_size=1000, match_count=997, signals={"name": {}}
    )
    assert evidence(sampled) == "name · 997 of 1,000 sampled values matched"
    assert evidence(make_classification(name_only=False, sample_size=5, match_count=5, signals={}))
    assert used_by(("a", "b")) == "a, b"
    assert used_by(("a", "b", "c", "d", "e")) == "a, b, c +2 more"


def test_template_is_package_data() -> None:
    template = resources.files("tableau_audit.reports") / "templates" / "report.html.j2"
    assert template.is_file()
    with (ROOT / "pyproject.toml").open("rb") as handle:
        package_data = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["tableau_audit"]
    assert any(fnmatch("reports/templates/report.html.j2", pattern) for pattern in package_data)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Müller & Söhne", "Müller & Söhne"),
        ("invoice\u202etxt.exe", "invoice\\u202etxt.exe"),
        ("x\x00y\x1b[31m", "x\\x00y\\x1b[31m"),
    ],
)
def test_names_show_control_and_bidi_characters_escaped(name: str, shown: str) -> None:
    html = _render(items=(make_item(name=name),))
    assert _texts(_doc(html), "//article//h3") == [shown]
    assert "\u202e" not in html
    assert "\x00" not in html
    assert "\x1b" not in html
