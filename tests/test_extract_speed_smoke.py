"""The extract-speed benchmark runs end to end on tiny extracts (timings are never asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import extract_speed

pytestmark = pytest.mark.hyper


def test_measure_and_render_on_tiny_extracts() -> None:
    figures = extract_speed.measure(large=3000, small=1500, repeat=1, workbooks=3)
    assert figures["fifty"]["audited"] == 3
    assert figures["fifty"]["hyperd_starts"] == 1
    assert {figures["extracts"][k]["rows"] for k in ("small", "large")} == {1500, 3000}
    steps = {"audit", "inspect", "unzip", "unzip_stdlib", "copy", "sample_queries", "classify"}
    assert set(figures["extracts"]["large"]["median_s"]) == steps
    text = extract_speed.render(figures)
    assert text.startswith("## Extract speed\n")
    assert "| 1,500 rows | 3,000 rows |" in text
    assert "started hyperd 1 time(s): goal (once) met." in text


def test_write_docs_replaces_only_its_own_section(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    other = "<!-- classification:start -->\nkept\n<!-- classification:end -->\n"
    docs.write_text(f"# Benchmarks\n\n{other}", encoding="utf-8")
    extract_speed.write_docs("first\n", docs)
    extract_speed.write_docs("second\n", docs)
    section = f"{extract_speed.START}\nsecond\n{extract_speed.END}\n"
    assert docs.read_text(encoding="utf-8") == f"# Benchmarks\n\n{other}\n{section}"
