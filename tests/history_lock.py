"""A child process that holds a run history's lock (a nightly run still in progress)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tableau_audit.history import open_run
    with open_run(Path(sys.argv[1]), target="t", full=False, analysis_key="k") as run:
        print(run.run_id, flush=True)
        time.sleep(60)
    """
)


@contextlib.contextmanager
def holding_history(path: Path) -> Iterator[subprocess.Popen[str]]:
    """The child, once it has opened its run on ``path`` (killed when the block ends)."""
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip().isdigit()
        yield child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=30)
