"""Local files and directories to audit.

Directories are walked recursively in sorted order (so runs are deterministic), taking the
Tableau extensions case-insensitively; a file named explicitly is always audited whatever its
extension, because the parser detects the format from the content. Symbolic links to
directories are not followed, so a link loop cannot make the walk run forever.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["TABLEAU_SUFFIXES", "collect_paths"]

TABLEAU_SUFFIXES = frozenset({".twb", ".twbx", ".tds", ".tdsx", ".hyper", ".tde"})
"""Extensions picked up when walking a directory."""


def collect_paths(paths: Sequence[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to audit, and ``(path, reason)`` for every given path that cannot be used.

    Each file appears once, in the order the arguments name them (directory contents sorted).
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen: set[Path] = set()
    for given in paths:
        found, problem = _expand(given, problems)
        if problem is not None:
            problems.append((str(given), problem))
            continue
        for path in found:
            key = _identity(path)
            if key not in seen:
                seen.add(key)
                files.append(path)
    return files, problems


def _expand(given: Path, problems: list[tuple[str, str]]) -> tuple[list[Path], str | None]:
    try:
        if given.is_dir():
            return list(_walk(given, problems)), None
        if given.is_file():
            if not os.access(given, os.R_OK):
                return [], "the file is not readable (permission denied)"
            return [given], None
        if given.exists():
            return [], "not a regular file or directory"
    except OSError as exc:
        return [], f"cannot be read ({exc.strerror or type(exc).__name__})"
    return [], "no such file or directory"


def _walk(directory: Path, problems: list[tuple[str, str]]) -> Iterator[Path]:
    """Tableau files under ``directory``, depth-first, names sorted at every level."""
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        problems.append((str(directory), f"directory cannot be read ({exc.strerror or 'error'})"))
        return
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                yield from _walk(path, problems)
            elif entry.is_file() and path.suffix.lower() in TABLEAU_SUFFIXES:
                yield path
        except OSError:
            continue


def _identity(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()
