"""TA103 packaged-raw-data: raw files and query caches inside a package, exactly."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.rules.conftest import fixture, flagged_paths, run


def _package(tmp_path: Path, extra: dict[str, bytes]) -> Path:
    twb = fixture("TA303_pass_no_secret.twb").read_bytes()
    path = tmp_path / "stores.twbx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("stores.twb", twb)
        zf.writestr("Image/logo.png", b"\x89PNG\r\n\x1a\n")
        for name, data in extra.items():
            zf.writestr(name, data)
    return path


def test_ta103_fail_flags_csv_and_query_cache(tmp_path: Path) -> None:
    path = _package(
        tmp_path,
        {
            "Data/stores/stores.csv": b"Store,Revenue\nA,1\n",
            "TwbxExternalCache/TwbxLQResultsCacheV3/1/.bin": b"\x00cache",
        },
    )
    assert flagged_paths(run(path), "TA103") == {
        ("package:Data/stores/stores.csv",),
        ("package:TwbxExternalCache/TwbxLQResultsCacheV3/1/.bin",),
    }


def test_ta103_pass_only_workbook_and_image(tmp_path: Path) -> None:
    assert flagged_paths(run(_package(tmp_path, {})), "TA103") == set()
