#!/usr/bin/env bash
# Speed of `chokepoint run` on the default scenario (baseline_2022, every metric, every tick):
#   1. a default run with charts against the same run with --no-plots, best wall time of N each
#      (floor: ≤ 2×);
#   2. formatting metrics.csv: the plain csv::Writer + `{}` path against the writer runs use,
#      criterion means from `cargo bench -p chokepoint-bench --bench run -- metrics_csv` (floor: ≥ 3× faster).
# Usage: benches/run_speed.sh [N]   (N = 5 runs of each; best-of, since the machine may be shared)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
cargo build --release --locked --quiet
target="${CARGO_TARGET_DIR:-target}"
bin="$target/release/chokepoint"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

best() { # best FLAGS… → the smallest wall time in seconds of `runs` runs
    local best=""
    for _ in $(seq "$runs"); do
        local start end t
        start=$(date +%s%N)
        "$bin" run --out "$work/out" --force "$@" >/dev/null 2>&1
        end=$(date +%s%N)
        t=$(( (end - start) / 1000 ))
        if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
    done
    echo "$best"
}

with=$(best)
without=$(best --no-plots)
awk -v a="$with" -v b="$without" 'BEGIN {
    printf "run with charts %.3f s, --no-plots %.3f s: ratio %.2f (floor <= 2)\n", a / 1e6, b / 1e6, a / b }'

cargo bench -p chokepoint-bench --bench run --quiet -- metrics_csv >/dev/null 2>&1
mean() { # the criterion mean estimate of metrics_csv/$1, in ns
    grep -o '"mean":{[^}]*}[^}]*"point_estimate":[0-9.e+-]*' "$target/criterion/metrics_csv/$1/new/estimates.json" \
        | grep -o '"point_estimate":[0-9.e+-]*$' | cut -d: -f2
}
reference=$(mean reference)
fast=$(mean fast)
awk -v r="$reference" -v f="$fast" 'BEGIN {
    printf "metrics.csv formatting: reference %.1f ms, fast %.1f ms: %.2fx faster (floor >= 3)\n", r / 1e6, f / 1e6, r / f }'
