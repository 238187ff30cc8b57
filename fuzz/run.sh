#!/usr/bin/env bash
# Runs fuzz targets for a while each, two at a time, at low priority, and
# prints each one's executions, coverage and findings.
#   fuzz/run.sh [SECONDS] [TARGET…]   (default: 600 s, every target)
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); on a stable
# toolchain RUSTC_BOOTSTRAP=1 lets it pass the nightly flags it needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
export RUSTC_BOOTSTRAP=1
# A panic is reported at once, not after symbolizing a backtrace past the timeout.
export RUST_BACKTRACE=0

seconds=${1:-600}
shift || true
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

[ -d corpus ] || python3 seed.py
nice -n 10 cargo fuzz build --features server
mkdir -p logs

run_one() {
  local target=$1
  mkdir -p "corpus/$target" "artifacts/$target"
  # -timeout: a post that takes seconds to check is a finding, not a wait
  # (30 s: on a loaded machine a niced fuzzer can wait seconds for the CPU).
  nice -n 10 cargo fuzz run --features server "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -max_len=8192 -timeout=30 -rss_limit_mb=2048 \
    -print_final_stats=1 -close_fd_mask=1 >"logs/$target.log" 2>&1 || true
}

summary() {
  local target=$1 log="logs/$1.log"
  local runs cov ft found
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  found=$(ls "artifacts/$target" 2>/dev/null | wc -l)
  printf '%-16s %12s execs  cov %6s  ft %6s  findings %s\n' "$target" "$runs" "$cov" "$ft" "$found"
}

i=0
while [ $i -lt ${#targets[@]} ]; do
  run_one "${targets[$i]}" &
  if [ $((i + 1)) -lt ${#targets[@]} ]; then run_one "${targets[$((i + 1))]}" & fi
  wait
  summary "${targets[$i]}"
  if [ $((i + 1)) -lt ${#targets[@]} ]; then summary "${targets[$((i + 1))]}"; fi
  i=$((i + 2))
done
