#!/usr/bin/env bash
# Set-up for a fresh clone: a virtual environment in .venv with LatentBench, its test extras and the pinned dev tools
# (ruff, mypy: the `dev` extra, which scripts/lint.sh runs).
# torch resolves to a CPU build: a CPU wheel already on this machine's disk if pip can find one offline
# (`pip install --no-index torch==2.13.0`), otherwise the CPU wheel alone (`--no-deps`) from PyTorch's CPU wheel
# index; in both cases its dependencies then come from pip's configured index, which this script never names. An
# importable torch is kept, so a user who wants a CUDA build installs it into .venv first.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  if ! $PIP install --quiet --no-index --no-deps "torch==2.13.0" >/dev/null 2>&1; then
    $PIP install --quiet --no-deps "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
  fi
  $PIP install --quiet "torch==2.13.0"  # its dependencies, from the configured index (torch itself is satisfied)
fi
$PIP install --quiet -e ".[test,lightning,dev]"
