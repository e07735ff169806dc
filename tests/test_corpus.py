"""Issue 2 acceptance: the CLI audits every file of the shared corpus, without a crash.

Every file is accounted for: readable workbooks, data sources and extracts are in
``workbooks``; the rest (the standalone .tde files) are in ``skipped`` with a specific reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "files"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason=f"shared corpus not found at {CORPUS}"),
]


def test_cli_accounts_for_every_corpus_file(tmp_path: Path) -> None:
    report = tmp_path / "corpus.json"
    proc = subprocess.run(
        [sys.executable, "-m", "tableau_audit", "scan", str(CORPUS), "--format", "json",
         "--output", str(report), "--fail-on", "critical"],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
    doc = json.loads(report.read_text(encoding="utf-8"))
    files = {str(p) for p in CORPUS.iterdir() if p.is_file() and p.name != "MANIFEST.tsv"}
    audited = {item["source"] for item in doc["workbooks"]}
    skipped = {entry["source"]: entry["reason"] for entry in doc["skipped"]}
    assert audited.isdisjoint(skipped)
    assert audited | set(skipped) == files
    assert {Path(s).suffix for s in skipped} == {".tde"}
    assert all("legacy .tde extract" in reason for reason in skipped.values())
    kinds = {item["kind"] for item in doc["workbooks"]}
    assert kinds == {"workbook", "datasource", "extract"}
    assert doc["complete"] is True
