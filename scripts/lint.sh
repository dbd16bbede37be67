#!/usr/bin/env bash
# Lint (ruff: pycodestyle, pyflakes, import order, bugbear) the whole tree and type-check the `latentbench` package
# (mypy, on suite/). Configuration: pyproject.toml's [tool.ruff] and [tool.mypy]. Needs .venv from scripts/setup.sh.
# Both run, whatever the first finds; the exit status is non-zero if either found something.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
.venv/bin/ruff check --no-fix || status=1  # every Python file of the tree that git does not ignore
# mypy finds `latentbench` through a link to suite/ (see [tool.mypy]); its report names the files under suite/ again
mkdir -p build/typecheck && ln -sfn ../../suite build/typecheck/latentbench || exit 1
.venv/bin/mypy | sed 's#build/typecheck/latentbench/#suite/#' || status=1
exit $status
