#!/usr/bin/env bash
# Alternates two scenarios' runs and compares their simulated records per wall-second, the
# way README's performance table compares bench-e with bench-a. On a shared, noisy machine a
# single pair says little: alternation spreads the noise over both; the per-pair ratios' min,
# quartiles, median and max are reported, the ratio of the two sides' summed wall times (each
# run simulates the same records), and the ratio of each side's best run (the least disturbed).
#
#   scripts/bench-compare.sh [PAIRS] [DURATION_MS] [BASE.toml] [OTHER.toml]
#   (defaults: 8 pairs, 60000 ms, scenarios/bench-a.toml, scenarios/bench-e.toml)
#
# Needs a release build (`cargo build --release`); PRODSIM overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-8}
duration=${2:-60000}
base=${3:-scenarios/bench-a.toml}
other=${4:-scenarios/bench-e.toml}
bin=${PRODSIM:-${CARGO_TARGET_DIR:-target}/release/prodsim}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

rate() { # records per wall-second of one run, from --stats
  "$bin" run "$1" --stats --no-charts --set "duration_ms=$duration" --out "$out" 2>&1 |
    sed -n 's/.* \([0-9.]*\) M records\/s.*/\1/p' | head -1
}

ratios=()
best_a=0
best_b=0
wall_a=0 # seconds per million records, summed
wall_b=0
for i in $(seq 1 "$pairs"); do
  a=$(rate "$base")
  b=$(rate "$other")
  r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }')
  ratios+=("$r")
  wall_a=$(awk -v w="$wall_a" -v r="$a" 'BEGIN { print w + 1 / r }')
  wall_b=$(awk -v w="$wall_b" -v r="$b" 'BEGIN { print w + 1 / r }')
  best_a=$(awk -v x="$best_a" -v y="$a" 'BEGIN { print (y > x) ? y : x }')
  best_b=$(awk -v x="$best_b" -v y="$b" 'BEGIN { print (y > x) ? y : x }')
  echo "pair $i: $(basename "$base" .toml) $a M rec/s, $(basename "$other" .toml) $b M rec/s, ratio $r"
done
printf '%s\n' "${ratios[@]}" | sort -n | awk '
  { v[NR] = $1 }
  END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        q1 = v[int((NR + 3) / 4)]; q3 = v[int((3 * NR + 3) / 4)]
        printf "ratio (other / base records per wall-second): min %.3f, quartiles %.3f / %.3f / %.3f, max %.3f over %d pairs\n", v[1], q1, m, q3, v[NR], NR }'
awk -v a="$wall_a" -v b="$wall_b" 'BEGIN { printf "all runs: summed wall time, base / other, %.3f (the ratio of their total records per wall-second)\n", a / b }'
awk -v a="$best_a" -v b="$best_b" 'BEGIN { printf "best runs: %.2f vs %.2f M rec/s, ratio %.3f (the least disturbed run of each)\n", a, b, b / a }'
