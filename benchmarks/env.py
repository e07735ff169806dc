"""The benchmark's own virtualenv, ``benchmarks/.venv``, holding the peer tool py-tbparse.

py-tbparse is what we compare against, never something tableau-audit depends on, so it lives in
a separate environment (git-ignored) built on demand from PyPI with the ordinary ``pip``. Run
``python -m benchmarks.env`` to build it, ``--rebuild`` to start over.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "PEER",
    "PEER_VERSION",
    "VENV",
    "ensure_env",
    "installed_version",
    "peer_executable",
    "peer_python",
]

logger = logging.getLogger(__name__)

PEER = "py-tbparse"
PEER_VERSION = "0.5.6"
"""Pinned so that figures from different days compare the same peer."""

VENV = Path(__file__).resolve().parent / ".venv"


def peer_python(venv: Path = VENV) -> Path:
    """The interpreter of the benchmark environment."""
    return venv / "bin" / "python"


def peer_executable(venv: Path = VENV) -> Path:
    """The ``py-tbparse`` console script of the benchmark environment."""
    return venv / "bin" / PEER


def installed_version(venv: Path = VENV) -> str | None:
    """The py-tbparse version installed in ``venv``, or None when it is missing or broken."""
    python = peer_python(venv)
    if not python.exists() or not peer_executable(venv).exists():
        return None
    probe = "import importlib.metadata as m; print(m.version('py-tbparse'))"
    done = subprocess.run(
        [str(python), "-c", probe], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() or None


def ensure_env(venv: Path = VENV, *, rebuild: bool = False) -> Path:
    """Build ``venv`` with the pinned py-tbparse when needed; return its ``py-tbparse`` script.

    Raises ``RuntimeError`` (with pip's last lines) when the environment cannot be built, for
    example without access to PyPI.
    """
    if rebuild and venv.exists():
        shutil.rmtree(venv)
    if installed_version(venv) == PEER_VERSION:
        return peer_executable(venv)
    if not peer_python(venv).exists():
        logger.info("creating %s", venv)
        _run([sys.executable, "-m", "venv", str(venv)])
    logger.info("installing %s==%s into %s", PEER, PEER_VERSION, venv)
    _run([str(peer_python(venv)), "-m", "pip", "install", "--quiet", f"{PEER}=={PEER_VERSION}"])
    if installed_version(venv) != PEER_VERSION:
        raise RuntimeError(f"{PEER} {PEER_VERSION} is not importable in {venv} after install")
    return peer_executable(venv)


def _run(command: Sequence[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        raise RuntimeError(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n{tail}")


def main(argv: Sequence[str] | None = None) -> int:
    """Build the benchmark environment and print the path of ``py-tbparse``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild the venv")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        executable = ensure_env(rebuild=args.rebuild)
    except RuntimeError as error:
        logger.error("%s", error)
        return 2
    sys.stdout.write(f"{executable} ({PEER} {PEER_VERSION})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
