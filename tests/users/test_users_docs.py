"""The "write your own method" pages: one per family, budget tables current, each linking a working example."""
from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from latentbench.registry import families

ROOT = Path(__file__).resolve().parents[2]


def _docs_script():
    spec = importlib.util.spec_from_file_location("method_docs", ROOT / "scripts" / "method_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_budget_tables_match_the_task_definitions():
    assert _docs_script().main(["--check"]) == 0


def test_each_family_page_links_an_example_that_exists():
    for family in families():
        text = (ROOT / "docs" / "methods" / f"{family}.md").read_text()
        links = re.findall(r"\]\(\.\./\.\./(examples/[\w./]+\.py)\)", text)
        assert links, family
        assert all((ROOT / link).is_file() for link in links), links
        assert "latentbench check-method" in text and f"<!-- budgets:{family} -->" in text


def test_stale_tables_are_detected(tmp_path):
    module = _docs_script()
    text = "x\n<!-- budgets:bounds -->\nold\n<!-- /budgets -->\n"
    new = module.render(text)
    assert "old" not in new and "| `samples` |" in new and new.endswith("<!-- /budgets -->\n")
