"""Meta-tests of the rule catalogue (house style: ids, order, docs, fixtures, purity)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tableau_audit.rules import ALL_RULES
from tests.fresh_python import run_python

ROOT = Path(__file__).resolve().parents[1]
RULE_TESTS = ROOT / "tests" / "rules"
FORBIDDEN_IN_RULES = ("lxml", "tableauserverclient", "tableauhyperapi", "requests", "sqlite3")


def test_ids_unique_sorted_and_well_formed() -> None:
    ids = [rule.id for rule in ALL_RULES]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids)
    assert all(re.fullmatch(r"TA\d{3}", rule_id) for rule_id in ids)


def test_names_are_kebab_case_and_docs_present() -> None:
    for rule in ALL_RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name), rule.id
        assert rule.summary.strip(), rule.id
        assert rule.help.strip(), rule.id
        assert "**How to fix.**" in rule.help, rule.id


def test_every_rule_has_pass_and_fail_tests() -> None:
    names = set()
    for module in RULE_TESTS.glob("test_*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for rule in ALL_RULES:
        prefix = f"test_{rule.id.lower()}_"
        assert any(n.startswith(prefix + "fail") for n in names), f"{rule.id}: no fail test"
        assert any(n.startswith(prefix + "pass") for n in names), f"{rule.id}: no pass test"


def test_rules_import_no_io_libraries() -> None:
    for module in (ROOT / "tableau_audit" / "rules").glob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                imported = [node.module or ""]
            else:
                continue
            for name in imported:
                assert not name.startswith(FORBIDDEN_IN_RULES), f"{module.name} imports {name}"


def test_pure_modules_load_no_io_library() -> None:
    """Rules, usage, permissions and classification are pure: importing them loads no I/O code."""
    code = (
        "import sys\n"
        "import tableau_audit.rules, tableau_audit.usage, tableau_audit.permissions\n"
        "import tableau_audit.classify.columns, tableau_audit.risk\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'lxml', 'tableauserverclient', 'tableauhyperapi', 'requests', 'sqlite3'})\n"
        "print(','.join(bad))\n"
    )
    assert run_python(code).stdout.strip() == ""
