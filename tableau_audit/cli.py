"""Command-line interface (thin: options -> AuditConfig -> engine -> reporter -> exit code)."""

from __future__ import annotations


def main() -> None:
    """Entry point of the ``tableau-audit`` console script."""
    raise SystemExit("tableau-audit: the command-line interface is being written")
