#!/usr/bin/env bash
# Regression tracking for a user's own method, as a CI job runs it (examples/ci/latentbench.yml calls this script;
# run it by hand the same way). Steps:
#   1. run METHOD on TARGET at each tier of TIERS (SEEDS seeds) into OUT/current.sqlite (--strict: an error row fails);
#   2. if BASELINE (a store from an earlier run, e.g. of the main branch) exists: `latentbench compare` it against
#      the current run; a regression fails the job at the end (after the artefacts are written);
#   3. if PUBLISHED (the suite's published rows, leaderboards/rows.csv.gz) exists: merge them and the current run into
#      OUT/beside.sqlite, so the method sits beside the published baselines without re-running them;
#   4. write OUT/leaderboard.md and the site (`latentbench publish`) into OUT/site.
# Environment: METHOD (path/to/file.py:Class, required), TARGET (a task selector, required), TIERS ("smoke"),
# SEEDS (3), OUT (ci-results), BASELINE, PUBLISHED, PUBLISH_ARGS (extra `publish` flags, e.g. --no-figures),
# LATENTBENCH (the command, default `latentbench`).
set -euo pipefail
: "${METHOD:?set METHOD=path/to/file.py:Class}" "${TARGET:?set TARGET to a task selector, e.g. bounds}"
TIERS="${TIERS:-smoke}" SEEDS="${SEEDS:-3}" OUT="${OUT:-ci-results}" LB="${LATENTBENCH:-latentbench}"
mkdir -p "$OUT"
for tier in $TIERS; do
  $LB run "$TARGET" --method "$METHOD" --tier "$tier" --seeds "$SEEDS" --store "$OUT/current.sqlite" \
    --strict --no-leaderboard
done
status=0
if [ -n "${BASELINE:-}" ] && [ -f "$BASELINE" ]; then
  $LB compare "$BASELINE" "$OUT/current.sqlite" | tee "$OUT/compare.txt" || status=$?
else
  echo "no baseline store (BASELINE=${BASELINE:-unset}): nothing to compare against yet" | tee "$OUT/compare.txt"
fi
board="$OUT/current.sqlite"
if [ -n "${PUBLISHED:-}" ] && [ -f "$PUBLISHED" ]; then
  rm -f "$OUT/beside.sqlite"
  $LB merge "$PUBLISHED" "$OUT/current.sqlite" --into "$OUT/beside.sqlite"
  board="$OUT/beside.sqlite"
fi
$LB leaderboard "$TARGET" --store "$board" > "$OUT/leaderboard.md"
# shellcheck disable=SC2086  # PUBLISH_ARGS is a list of flags
$LB publish --store "$board" --out "$OUT/site" --no-record-command ${PUBLISH_ARGS:-}
exit "$status"
