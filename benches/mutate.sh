#!/usr/bin/env bash
# The mutation property test of issue 15, for 10 minutes (or $1 seconds): every bundled scenario,
# sweep and effect spec is broken at random (truncation, byte flips, number swaps, duplicated and
# deleted lines) and run through the executable; each mutant must be accepted (exit 0) or refused
# with exit 2 and a positioned message, never panic or hang, and leave nothing in the output
# folder. CI runs a fixed seeded handful of cases in `cargo test`; this keeps drawing new seeds.
# A failure prints its seed and mutation, which reproduce it.
#
#   benches/mutate.sh          # 600 s
#   benches/mutate.sh 60       # a minute
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
CHOKEPOINT_MUTATION_SECONDS="$seconds" cargo test --release --test it \
    robustness::mutated_bundled_inputs_are_accepted_or_refused_with_a_position_and_leave_nothing -- --exact --nocapture
