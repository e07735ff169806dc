"""Local path collection: recursive, sorted, Tableau extensions only, explicit files always."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tableau_audit.sources.local import collect_paths


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return path


def test_directories_are_walked_sorted_and_filtered(tmp_path: Path) -> None:
    for name in ["b/z.TWBX", "b/a.tds", "a.twb", "c/d/e.hyper", "c/x.tde", "c/y.tdsx",
                 "notes.txt", "c/d/image.png", "b/readme.md"]:  # fmt: skip
        touch(tmp_path / name)
    files, problems = collect_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "a.twb",
        "b/a.tds",
        "b/z.TWBX",
        "c/d/e.hyper",
        "c/x.tde",
        "c/y.tdsx",
    ]
    assert problems == []


def test_explicit_files_are_always_taken_and_duplicates_dropped(tmp_path: Path) -> None:
    notes = touch(tmp_path / "notes.txt")
    book = touch(tmp_path / "book.twb")
    files, problems = collect_paths([notes, book, tmp_path, book])
    assert files == [notes, book]
    assert problems == []


def test_missing_paths_are_reported(tmp_path: Path) -> None:
    book = touch(tmp_path / "book.twb")
    missing = tmp_path / "gone.twbx"
    files, problems = collect_paths([missing, book])
    assert files == [book]
    assert problems == [(str(missing), "no such file or directory")]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    book = touch(tmp_path / "book.twb")
    book.chmod(0)
    files, problems = collect_paths([book])
    assert (files, problems) == ([], [(str(book), "the file is not readable (permission denied)")])


def test_symlinked_directories_are_not_followed(tmp_path: Path) -> None:
    touch(tmp_path / "real" / "a.twb")
    (tmp_path / "real" / "loop").symlink_to(tmp_path / "real", target_is_directory=True)
    files, problems = collect_paths([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["real/a.twb"]
    assert problems == []


def test_empty_directory(tmp_path: Path) -> None:
    assert collect_paths([tmp_path]) == ([], [])
