"""The speed benchmark's harness runs end to end on one small file (timings are never asserted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from benchmarks import env, parse_speed, speed_report
from benchmarks.timing import parse_importtime, percentile, run_probe

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "files"
SMALL = "tableau__document-api-python__samples_replicate-workbook_sample-superstore.twb"

IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   zipimport
import time:       300 |        700 |     rich.text
import time:       200 |        900 |   rich
import time:      1000 |       1900 | tableau_audit.cli
import time:        50 |         50 | tableauhyperapi
"""


def test_percentile_is_nearest_rank() -> None:
    samples = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0, 9.0, 8.0, 7.0, 6.0]
    assert percentile(samples, 90) == 9.0
    assert percentile(samples, 50) == 5.0
    assert percentile(samples, 100) == 10.0
    assert percentile([0.25], 90) == 0.25


def test_importtime_keeps_top_level_modules_and_names_heavy_ones() -> None:
    profile = parse_importtime(IMPORTTIME, top=2)
    assert profile.total_us == 1950
    assert profile.top == (("tableau_audit.cli", 1900), ("tableauhyperapi", 50))
    assert profile.heavy == ("tableauhyperapi", "rich")


def test_write_docs_replaces_only_its_own_section(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    other = "<!-- classification:start -->\nkept\n<!-- classification:end -->\n"
    docs.write_text(f"# Benchmarks\n\n{other}", encoding="utf-8")
    speed_report.write_docs("first\n", docs)
    speed_report.write_docs("second\n", docs)
    section = f"{speed_report.START}\nsecond\n{speed_report.END}\n"
    assert docs.read_text(encoding="utf-8") == f"# Benchmarks\n\n{other}\n{section}"


def test_the_corpus_sweep_is_split_by_extracts() -> None:
    rows = [
        {"file": "a.twbx", "extracts": 1, "ours": 0.20, "peer": 0.40, "repeat": 3},
        {"file": "b.twbx", "extracts": 6, "ours": 0.30, "peer": 0.40, "repeat": 3},
        {"file": "c.twbx", "extracts": 0, "ours": 0.12, "peer": 0.36, "repeat": 3},
    ]
    text = "\n".join(speed_report._sweep(rows))
    assert "| with .hyper extracts | 2 | 0.62 | 0.50 – 0.75 | 1 |" in text
    assert "| without | 1 | 0.33 | 0.33 – 0.33 | 1 |" in text
    assert "| all | 3 | 0.50 | 0.33 – 0.75 | 2 |" in text
    assert text.index("`b.twbx` 0.75×") < text.index("`a.twbx` 0.50×")
    assert "3 timed runs each" in text
    assert "(ours, median: 250 ms with, 120 ms without)" in text
    (verdict,) = speed_report._sweep_verdict(rows)
    assert "median ratio is 0.50× (0.62× for those with extracts)" in verdict
    assert "1 of 3 are above 0.5× (highest 0.75×)" in verdict
    assert speed_report._sweep([]) == []


@pytest.fixture
def one_file(tmp_path: Path) -> Path:
    """A folder holding one small corpus workbook."""
    if not (CORPUS / SMALL).is_file():
        pytest.skip(f"corpus not found at {CORPUS}")
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(CORPUS / SMALL, folder / SMALL)
    return folder


@pytest.mark.corpus
def test_measure_and_render_without_peer(one_file: Path) -> None:
    figures = parse_speed.measure(one_file, None, repeat=1, corpus_repeat=1, cold_files=(SMALL,))
    (cold,) = figures["cold"]
    assert set(cold["timings"]) == {"tableau-audit scan"}
    assert len(cold["timings"]["tableau-audit scan"]["samples"]) == 1
    probes = figures["corpus"]["probes"]
    assert set(probes) == {"ours", "ours-nosample", "ours-xml", "bare"}
    for kind in ("ours", "ours-nosample", "ours-xml", "bare"):
        assert probes[kind]["handled"] == {".twb": 1}
        assert probes[kind]["skipped"] == {}
    assert "tableauhyperapi" not in figures["imports"]["cli"]["heavy"]
    text = speed_report.render(figures)
    assert text.startswith("## Local audit speed\n")
    assert "| `tableau-audit scan` |" in text


@pytest.mark.corpus
def test_peer_probe_reads_the_same_file(one_file: Path) -> None:
    if env.installed_version() != env.PEER_VERSION:
        pytest.skip("py-tbparse is not installed in benchmarks/.venv (python -m benchmarks.env)")
    run = run_probe(env.peer_python(), "peer", one_file, "overview")
    assert run.data["handled"] == {".twb": 1}
    assert run.data["skipped"] == {}
    assert run.data["rows"] == 1
