#!/usr/bin/env bash
# The main job on embedded data (no download): a smoke-tier run of every registered task with its reference
# baselines, then the leaderboards printed and written to results/smoke/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/latentbench run all --tier smoke --seeds 2 --out results/smoke "$@"
