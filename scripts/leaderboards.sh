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
[ ${#families[@]} -gt 0 ] || families=(bounds bnn-search lossless rd-curve representation)
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
    rd-curve)
      $LB run rd-curve --tier smoke --seeds 3 --store "$STORE" --no-leaderboard
      $LB run rd-curve --tier quick --seeds 1 --store "$STORE" --no-leaderboard ;;
    representation)
      $LB run representation --tier smoke --seeds 3 --store "$STORE" --no-leaderboard
      q() { $LB run "$@" --tier quick --store "$STORE" --no-leaderboard; }
      q semisup/mnist-100 --method supervised-mlp --method aae --method m1m2 --seeds 3
      q semisup/mnist-100 --method iae --method wta-fc --seeds 1
      q semisup/mnist-1000 --method supervised-mlp --seeds 3
      q semisup/mnist-1000 --method aae --method m1m2 --method wta-fc --seeds 1
      q semisup/mnist-all --method supervised-mlp --seeds 3
      q semisup/mnist-all --method aae --method m1m2 --seeds 1
      q cluster/mnist-16 --method kmeans --seeds 3
      q cluster/mnist-30 --method kmeans --seeds 3
      q cluster/mnist-10 --method kmeans --method pca-kmeans --seeds 1
      q cluster/mnist-16 --method pca-kmeans --method aae --method iae --seeds 1
      q cluster/mnist-30 --method pca-kmeans --method aae --method iae --method pixelgan --seeds 1
      q probe/mnist --method pixels --method wta-fc --method wta-conv --seeds 1
      q probe/mnist --method wta-fc --params '{"sparsity": 0.02}' --seeds 1
      q probe/mnist --method wta-fc --params '{"sparsity": 0.2}' --seeds 1
      q probe/cifar10 --method pixels --method wta-fc --seeds 1 ;;
    *) echo "unknown family $family" >&2; exit 2 ;;
  esac
done
$LB publish --store "$STORE" --out leaderboards
$LB export leaderboards/rows.csv.gz --store "$STORE"
