#!/usr/bin/env bash
# Regenerates leaderboards/ exactly as committed: the runs below into one store, then `latentbench publish`.
# Usage: bash scripts/leaderboards.sh [family ...]   (default: every family listed here). Resumes if interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
export LATENTBENCH_DATA=${LATENTBENCH_DATA:-../shared/data}
STORE=${LATENTBENCH_RESULTS:-results/leaderboards.sqlite}
LB=".venv/bin/latentbench"
[ -x "$LB" ] || LB="latentbench"
families=("$@")
[ ${#families[@]} -gt 0 ] || families=(bounds bnn-search lossless)
for family in "${families[@]}"; do
  case "$family" in
    bounds)
      $LB run bounds --tier smoke --seeds 3 --store "$STORE" --no-leaderboard
      $LB run bounds --tier quick --seeds 3 --store "$STORE" --no-leaderboard ;;
    bnn-search)
      $LB run bnn-search --tier smoke --seeds 3 --store "$STORE" --no-leaderboard
      $LB run bnn-search --tier quick --seeds 1 --threads 1 --store "$STORE" --no-leaderboard ;;
    lossless)
      $LB run lossless --tier smoke --seeds 3 --store "$STORE" --no-leaderboard
      $LB run lossless --tier quick --seeds 1 --store "$STORE" --no-leaderboard ;;
    *) echo "unknown family $family" >&2; exit 2 ;;
  esac
done
$LB publish --store "$STORE" --out leaderboards
$LB export leaderboards/rows.csv --store "$STORE"
