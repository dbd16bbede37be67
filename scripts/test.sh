#!/usr/bin/env bash
# Set up (as scripts/setup.sh), lint and type-check (scripts/lint.sh), and run the test suite; tests that need real
# data skip with a reason if absent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/lint.sh
exec .venv/bin/python -m pytest -q --timeout=900 "$@"
