#!/usr/bin/env bash
# Scale checks for `chokepoint sweep` on the default scenario (baseline_2022, full horizon):
#   1. wall time of a 10,000-run sweep at 2 threads (floor: < 120 s on a 2-core machine);
#   2. its peak memory against a 1,000-run sweep (floor: ≤ 1.5×);
#   3. the speed-up from 1 to 2 threads on 400 runs (floor: ≥ 1.8×).
# Usage: benches/sweep_scale.sh   (needs GNU time: apt-get install time). Run it on an idle
# machine: other builds sharing the cores lower the speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin="${CARGO_TARGET_DIR:-target}/release/chokepoint"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

spec() { # spec NAME POINTS: an LHS of POINTS points × 4 replicates over four behavioural parameters
    cat > "$work/$1.ron" <<SPEC
Sweep(
    name: "$1",
    scenario: "baseline_2022",
    design: LatinHypercube(points: $2),
    replicates: 4,
    seed: 1,
    parameters: [
        Vary(path: "learning.catch_up_rate_per_year", dist: Uniform(low: 0.0, high: 0.2)),
        Vary(path: "learning.wright_learning_rate", dist: Triangular(low: 0.1, mode: 0.2, high: 0.3)),
        Vary(path: "market.home_bias", dist: LogUniform(low: 0.5, high: 2.0)),
        Vary(path: "finance.rd_share_of_revenue", dist: Uniform(low: 0.08, high: 0.25)),
    ],
    keep: Keep(metrics: ["ai_compute", "state_market_share", "capability_gap"], ticks: [35, 101], markets: ["world"]),
)
SPEC
}

measure() { # measure NAME THREADS [FLAGS…] → "seconds max_rss_kb"
    local name=$1 threads=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$work/$name-$threads.time" "$bin" sweep "$work/$name.ron" --threads "$threads" --out "$work/out-$name-$threads" "$@" 2>/dev/null
    cat "$work/$name-$threads.time"
}

# Throughput without the default charts (drawn once at the end, on one thread).
spec speed 100
read -r t1 _ < <(measure speed 1 --no-plots)
read -r t2 _ < <(measure speed 2 --no-plots)
cmp "$work/out-speed-1/runs.csv" "$work/out-speed-2/runs.csv"
echo "400 runs: 1 thread ${t1} s ($(echo "400 / $t1" | bc -l | xargs printf '%.1f') runs/s), 2 threads ${t2} s ($(echo "400 / $t2" | bc -l | xargs printf '%.1f') runs/s), speed-up $(echo "$t1 / $t2" | bc -l | xargs printf '%.2f')×"

# Scale as a user runs it: default charts included.
spec k1 250
spec k10 2500
read -r s1 m1 < <(measure k1 2)
read -r s10 m10 < <(measure k10 2)
echo "1,000 runs: ${s1} s, peak RSS ${m1} KB"
echo "10,000 runs: ${s10} s, peak RSS ${m10} KB (ratio $(echo "$m10 / $m1" | bc -l | xargs printf '%.2f'))"
