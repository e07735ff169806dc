"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def generated_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder holding every sample of ``fixtures/generate.py``, generated once per session."""
    from fixtures.generate import generate

    out = tmp_path_factory.mktemp("generated-samples")
    generate(out)
    return out
