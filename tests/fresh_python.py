"""Run Python code in a fresh interpreter from the repository (start-up and entry-point tests)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_python(
    code: str, *, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``python -c code`` from the repository root, output captured as text."""
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=check,
        cwd=REPO,
        env=None if env is None else dict(env),
        timeout=120,
    )
