#!/usr/bin/env bash
# Micro-benchmark of the safety checks every post passes through before it is stored:
# watched words, the personal-detail guard, the crisis phrases and the spam filter, timed
# per post (p50/p90/p99/max, split by check) on posts of ordinary length (300-1,500
# characters) and on a few long ones (~5,000), plus posts per second on one core; then
# precision and recall of the spam filter and the personal-detail guard on their held-out
# labelled sentences. Target: p99 under 200 µs per post of ordinary length.
# Run by hand from anywhere: bash bench/guard.sh
# See bench/README.md for what it measures.
#
# Settings (environment):
#   CARGO_TARGET_DIR  as for cargo; the release build lands there
#
# Prints the report and keeps a copy in bench/out/guard.txt (git-ignored). A missed
# target prints FAIL but does not change the exit status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT_DIR=bench/out
mkdir -p "$OUT_DIR"

# `cargo bench` builds with the release profile; the binary is a plain `main`
# (crates/hearth-core/benches/guard.rs), single-threaded.
cargo bench -p hearth-core --bench guard | tee "$OUT_DIR/guard.txt"
