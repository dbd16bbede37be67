"""Fill the budget tables of docs/methods/<family>.md from the task definitions (`--check`: exit 1 if stale).

Each page holds `<!-- budgets:FAMILY -->` ... `<!-- /budgets -->`; between them go the tables of
`latentbench list --budgets FAMILY --markdown`. The tests run `--check`, so a changed budget fails CI until
`python scripts/method_docs.py` is re-run.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

from latentbench.cli import budget_tables
from latentbench.registry import families, select_tasks

DOCS = Path(__file__).resolve().parents[1] / "docs" / "methods"
MARK = re.compile(r"(<!-- budgets:(?P<family>[\w-]+) -->\n).*?(<!-- /budgets -->)", re.S)


def builtin_tasks(family: str) -> list:
    """The family's built-in tasks (a plugin's tasks, e.g. the tests' toy plugin, have no place in the docs)."""
    def builtin(task) -> bool:  # its class or a base defined in latentbench.tasks (some are made with type())
        return any(c.__module__.startswith("latentbench.tasks.") for c in type(task).__mro__[:2])

    return [t for t in select_tasks(family) if builtin(t)]


def render(text: str) -> str:
    def fill(m: re.Match) -> str:
        return m.group(1) + "\n\n".join(budget_tables(builtin_tasks(m.group("family")))) + "\n" + m.group(3)

    return MARK.sub(fill, text)


def main(argv: list[str]) -> int:
    stale = []
    for family in families():
        page = DOCS / f"{family}.md"
        text = page.read_text()
        new = render(text)
        if new != text:
            stale.append(page)
            if "--check" not in argv:
                page.write_text(new)
    if "--check" in argv and stale:
        print("stale budget tables (run `python scripts/method_docs.py`): " + ", ".join(map(str, stale)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
