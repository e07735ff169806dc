"""Where the items to audit come from: local paths (and, later, Tableau Server)."""

from __future__ import annotations

from tableau_audit.sources.local import TABLEAU_SUFFIXES, collect_paths

__all__ = ["TABLEAU_SUFFIXES", "collect_paths"]
