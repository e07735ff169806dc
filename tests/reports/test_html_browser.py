"""The HTML report in real headless Chromium (issue 5): it renders with no console error, its
Content-Security-Policy lets exactly its own script and style run, hostile names stay text,
filtering and sorting work, and a screenshot is written.

Chromium comes from Debian's ``chromium`` package (``.ci/run`` installs it); without it every
test here is skipped with the reason. The browser is driven over the DevTools pipe by
:class:`fixtures.screenshot.Browser`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.screenshot import Browser, find_chromium
from tableau_audit.findings import Location, Risk, RiskLevel, Severity
from tableau_audit.reports.html import HtmlReporter
from tests.factories import make_column, make_finding, make_item, make_result, make_skipped

CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium not found: install Debian's `chromium` package (.ci/run does) "
        "or set CHROMIUM to run the HTML report in a headless browser",
    ),
]

HOSTILE = "<script>window.__pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=2">'
WIDTH, HEIGHT = 1280, 900

VISIBLE_FINDINGS = """[...document.querySelectorAll('tr.finding')]
  .filter(r => !r.hidden && !r.closest('.card').hidden)
  .map(r => r.closest('.card').id + ':' + r.dataset.rule)"""


def _hostile_result() -> Any:
    evil = "evil.twbx"
    evil_findings = (
        make_finding(
            artifact=evil,
            severity=Severity.HIGH,
            object_path=("datasource:Permits", f"column:{HOSTILE_IMG}"),
            message=f"Confidential column {HOSTILE_IMG} is never used",
        ),
        make_finding(
            rule_id="TA303",
            severity=Severity.LOW,
            message="API key stored",
            location=Location(artifact=evil, object_path=("datasource:Permits",)),
        ),
        make_finding(
            rule_id="TA301",
            severity=Severity.CRITICAL,
            message="Password stored",
            location=Location(artifact=evil, object_path=("datasource:DB",), line=12),
        ),
    )
    evil_item = make_item(
        source=evil,
        name=HOSTILE,
        risk=Risk(level=RiskLevel.CRITICAL, score=95, reasons=(f"because {HOSTILE}",)),
        findings=evil_findings,
        columns=(make_column(field=HOSTILE_IMG), make_column(field="Notes", classification=None)),
    )
    sales = make_item(
        source="sales.twbx",
        name="Sales",
        risk=Risk(level=RiskLevel.MEDIUM, score=40),
        findings=(make_finding(artifact="sales.twbx", rule_id="TA104", severity=Severity.MEDIUM),),
    )
    clean = make_item(
        source="clean.twbx",
        name="Clean",
        risk=Risk(level=RiskLevel.NONE, score=0),
        findings=(),
        columns=(),
    )
    return make_result(
        items=(sales, clean, evil_item), skipped=(make_skipped("x.twb", HOSTILE_IMG),)
    )


@pytest.fixture(scope="module")
def page() -> Iterator[Browser]:
    """One Chromium for the whole module (starting it takes about a second)."""
    assert CHROMIUM is not None
    with Browser(CHROMIUM, width=WIDTH, height=HEIGHT) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of the report of :func:`_hostile_result`."""
    report = tmp_path_factory.mktemp("html") / "report.html"
    report.write_text(HtmlReporter().render(_hostile_result()), encoding="utf-8")
    return report.as_uri()


@pytest.fixture
def browser(page: Browser, hostile_report: str) -> Browser:
    """The hostile report freshly loaded, with no error recorded so far."""
    page.errors.clear()
    page.load(hostile_report)
    return page


def test_renders_without_console_errors_and_its_script_ran(browser: Browser) -> None:
    assert browser.errors == []
    assert browser.evaluate("document.documentElement.dataset.ready") == "1"
    assert browser.evaluate("document.getElementById('toolbar').hidden") is False
    assert browser.evaluate("document.getElementById('filter-status').textContent") == (
        "4 findings in 3 items"
    )


def test_hostile_names_are_text_and_no_injected_script_ran(browser: Browser) -> None:
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.scripts.length") == 1
    assert browser.evaluate("document.images.length") == 0
    assert browser.evaluate("document.querySelector('#item-1 h3').textContent") == HOSTILE
    body = browser.evaluate("document.body.innerText")
    assert HOSTILE in body
    assert HOSTILE_IMG in body


def _type(browser: Browser, text: str) -> None:
    browser.evaluate(
        "(() => { const i = document.getElementById('filter-text');"
        f" i.value = {text!r}; i.dispatchEvent(new Event('input')); }})()"
    )


def _choose(browser: Browser, select: str, value: str) -> None:
    browser.evaluate(
        f"(() => {{ const s = document.getElementById({select!r});"
        f" s.value = {value!r}; s.dispatchEvent(new Event('change')); }})()"
    )


def test_filters_hide_rows_and_cards(browser: Browser) -> None:
    every = ["item-1:TA301", "item-1:TA101", "item-1:TA303", "item-2:TA104"]
    assert browser.evaluate(VISIBLE_FINDINGS) == every
    _type(browser, "PASSWORD")
    assert browser.evaluate(VISIBLE_FINDINGS) == ["item-1:TA301"]
    assert browser.evaluate("document.getElementById('item-2').hidden") is True
    assert browser.evaluate("document.querySelector('#item-1 .findings-count').textContent") == (
        "(1 of 3)"
    )
    _type(browser, "sales")  # the item's name matches: its findings and card stay
    assert browser.evaluate(VISIBLE_FINDINGS) == ["item-2:TA104"]
    _type(browser, "")
    _choose(browser, "filter-severity", str(Severity.MEDIUM.value))
    assert browser.evaluate(VISIBLE_FINDINGS) == ["item-1:TA301", "item-1:TA101", "item-2:TA104"]
    _choose(browser, "filter-rule", "TA104")
    assert browser.evaluate(VISIBLE_FINDINGS) == ["item-2:TA104"]
    assert browser.evaluate("document.getElementById('filter-status').textContent") == (
        "1 of 4 findings match, in 1 item"
    )
    browser.evaluate("document.getElementById('filter-clear').click()")
    assert browser.evaluate(VISIBLE_FINDINGS) == every
    assert browser.evaluate("[...document.querySelectorAll('.card')].some(c => c.hidden)") is False
    assert browser.errors == []


def _column(browser: Browser, table: str, index: int) -> list[str]:
    return list(
        browser.evaluate(
            f"[...document.querySelector({table!r}).tBodies[0].rows]"
            f".map(r => r.cells[{index}].textContent.trim())"
        )
    )


def _click_header(browser: Browser, table: str, index: int) -> str:
    return str(
        browser.evaluate(
            f"(() => {{ const th = document.querySelector({table!r}).tHead.rows[0].cells[{index}];"
            " th.querySelector('button.sort').click(); return th.getAttribute('aria-sort'); })()"
        )
    )


def test_sorting_by_column(browser: Browser) -> None:
    findings = "#item-1 table.findings"
    assert _column(browser, findings, 0) == ["critical", "high", "low"]
    assert _click_header(browser, findings, 0) == "descending"  # severity sorts worst first
    assert _column(browser, findings, 0) == ["critical", "high", "low"]
    assert _click_header(browser, findings, 0) == "ascending"
    assert _column(browser, findings, 0) == ["low", "high", "critical"]
    assert _click_header(browser, findings, 1) == "ascending"
    assert _column(browser, findings, 1) == ["TA101", "TA301", "TA303"]
    overview = "table.overview"
    assert _column(browser, overview, 0) == [HOSTILE, "Sales", "Clean"]
    assert _click_header(browser, overview, 4) == "descending"
    assert _column(browser, overview, 4) == ["95", "40", "0"]
    assert _click_header(browser, overview, 4) == "ascending"
    assert _column(browser, overview, 4) == ["0", "40", "95"]
    assert browser.errors == []


def test_screenshot_is_a_real_png(browser: Browser, tmp_path: Path) -> None:
    shot = browser.screenshot(tmp_path / "report.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 20_000  # a blank page compresses to a few kB


def test_tampered_script_is_blocked_by_the_csp(page: Browser, tmp_path: Path) -> None:
    """The CSP pins the script's hash: one changed byte and the browser refuses to run it."""
    html = HtmlReporter().render(make_result())
    tampered = tmp_path / "tampered.html"
    tampered.write_text(html.replace('"use strict";', '"use strict"; ', 1), encoding="utf-8")
    page.errors.clear()
    page.load(tampered.as_uri())
    assert page.evaluate("document.documentElement.dataset.ready") is None
    assert any("Content Security Policy" in error for error in page.errors), page.errors


@pytest.mark.hyper
def test_report_of_the_generated_samples(page: Browser, generated_samples: Path) -> None:
    """The demo's report (real audit of every generated sample) renders cleanly too."""
    from tableau_audit.config import load_config
    from tableau_audit.engine import audit

    result = audit([generated_samples], load_config(None, cwd=generated_samples))
    report = generated_samples.parent / "demo-report.html"
    report.write_text(HtmlReporter().render(result), encoding="utf-8")
    page.errors.clear()
    page.load(report.as_uri())
    assert page.errors == []
    assert page.evaluate("document.querySelectorAll('.card').length") == len(result.items)
    assert page.evaluate("document.querySelectorAll('tr.finding').length") == sum(
        len(item.findings) for item in result.items
    )
