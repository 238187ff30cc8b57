#!/usr/bin/env bash
# Write throughput (issue 6): new replies through the web form with every guard on
# (rate limit, watched words, personal-detail guard, crisis phrases, spam filter),
# from many members at once, sustained for 60 s. See bench/README.md.
#
#   bash bench/write.sh                 # SQLite
#   bash bench/write.sh postgres        # PostgreSQL (database hearth_write_bench, dropped after)
#
# Settings (environment):
#   HEARTH_BIN, LOAD_BIN   use these binaries (hearth, chat-load) and skip the builds
#   PG_SERVER              PostgreSQL server (postgres://postgres@127.0.0.1:5432)
#   DURATION=60 WARMUP=5 CONNECTIONS=64 THREADS=2   wrk
#   WRITERS=1000           members taking turns to reply (each posts once a second at 1,000/s)
#   BASE_POSTS=100000      the generated community they reply in
#   SERVER_CPUS=0          the CPUs the server may use (taskset -c): 0,1 for both, shared with wrk
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

DATABASE=${1:-sqlite}
case "$DATABASE" in sqlite | postgres) ;; *) die "usage: bash bench/write.sh [sqlite|postgres]" ;; esac

command -v wrk >/dev/null 2>&1 || {
  log "installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
for tool in taskset python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
if [ "$DATABASE" = postgres ]; then
  command -v psql >/dev/null 2>&1 || die "psql is needed for postgres"
fi
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the server on CPU 0, wrk on CPU 1"

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
if [ -z "${HEARTH_BIN:-}" ]; then
  log "cargo build --release --bin hearth"
  cargo build --release --locked --bin hearth
fi
if [ -z "${LOAD_BIN:-}" ]; then
  log "cargo build --release -p hearth-chat-load (makes the writing members)"
  cargo build --release --locked -p hearth-chat-load
fi
BIN=${HEARTH_BIN:-$TARGET/hearth}
LOAD=${LOAD_BIN:-$TARGET/chat-load}
[ -x "$BIN" ] || die "no hearth binary at $BIN"
[ -x "$LOAD" ] || die "no chat-load binary at $LOAD"

exec python3 "$ROOT/bench/write.py" \
  --database "$DATABASE" --bin "$BIN" --load-bin "$LOAD" \
  --pg-server "${PG_SERVER:-postgres://postgres@127.0.0.1:5432}" \
  --duration "${DURATION:-60}" --warmup "${WARMUP:-5}" \
  --connections "${CONNECTIONS:-64}" --threads "${THREADS:-2}" \
  --writers "${WRITERS:-1000}" --base-posts "${BASE_POSTS:-100000}" \
  --server-cpu "${SERVER_CPUS:-0}"
