"""Where benchmark figures go: each script rewrites only its own section of docs/benchmarks.md."""

from __future__ import annotations

from pathlib import Path

__all__ = ["DOCS", "markers", "write_section"]

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"

HEADER = (
    "# Benchmarks\n\n"
    "Each section is produced by a script in `benchmarks/` (`make bench` runs them all) and\n"
    "rewritten only between its own markers.\n"
)


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of section ``name`` (``<!-- name:start -->`` ...)."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def write_section(name: str, section: str, path: Path = DOCS) -> None:
    """Replace section ``name`` of ``path`` with ``section`` (appended when it is not there)."""
    start, end = markers(name)
    block = f"{start}\n{section}{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    if start in text and end in text:
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        tail = tail.lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
