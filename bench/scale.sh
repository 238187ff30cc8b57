#!/usr/bin/env bash
# Speed at scale (issue 6): a topic page (long and typical, a late page of the long
# one), a space's topic list (first and a deep page), the front page and searches, as
# a guest and as a signed-in member, at a given number of posts on SQLite or
# PostgreSQL. Generates the data with `hearth demo --scale` the first time and
# reuses it afterwards. See bench/README.md.
#
#   bash bench/scale.sh 10000                   # SQLite, 10 k posts
#   bash bench/scale.sh 1000000 postgres        # PostgreSQL, 1 M posts
#   bash bench/scale.sh report bench/out/scale-sqlite-*.json   # figures side by side
#
# Settings (environment):
#   HEARTH_BIN, LOAD_BIN   use these binaries (hearth, chat-load) and skip the builds
#   SCALE_DIR              where generated data are kept (bench/out/scale)
#   PG_SERVER              PostgreSQL server for `postgres` (postgres://postgres@127.0.0.1:5432);
#                          the script creates and drops the database hearth_scale_<posts> there
#   CONNECTIONS=8 DURATION=10 WARMUP=2   wrk's fixed concurrency and seconds per figure
#   SEED=1 NICE=10         the generator's seed and niceness
#   REGENERATE=1           generate again even if the data exist
#   DROP_AFTER=1           delete the data after measuring (the 10 M databases are large)
#   GENERATE_ONLY=1        generate the data (or find them) and stop
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

if [ "${1:-}" = report ]; then
  shift
  exec python3 "$ROOT/bench/scale.py" report "$@"
fi

POSTS=${1:-}
DATABASE=${2:-sqlite}
[[ "$POSTS" =~ ^[1-9][0-9]*$ ]] || die "usage: bash bench/scale.sh POSTS [sqlite|postgres] (POSTS a whole number, like 10000)"
case "$DATABASE" in sqlite | postgres) ;; *) die "the database is sqlite or postgres, not $DATABASE" ;; esac

command -v wrk >/dev/null 2>&1 || {
  log "installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}
for tool in taskset python3 nice; do
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
  log "cargo build --release -p hearth-chat-load (makes the signed-in member)"
  cargo build --release --locked -p hearth-chat-load
fi
BIN=${HEARTH_BIN:-$TARGET/hearth}
LOAD=${LOAD_BIN:-$TARGET/chat-load}
[ -x "$BIN" ] || die "no hearth binary at $BIN"
[ -x "$LOAD" ] || die "no chat-load binary at $LOAD"

flags=()
[ -n "${REGENERATE:-}" ] && flags+=(--regenerate)
[ -n "${DROP_AFTER:-}" ] && flags+=(--drop-after)
[ -n "${GENERATE_ONLY:-}" ] && flags+=(--generate-only)
exec python3 "$ROOT/bench/scale.py" run \
  --posts "$POSTS" --database "$DATABASE" --bin "$BIN" --load-bin "$LOAD" \
  --scale-dir "${SCALE_DIR:-$ROOT/bench/out/scale}" \
  --pg-server "${PG_SERVER:-postgres://postgres@127.0.0.1:5432}" \
  --seed "${SEED:-1}" --nice "${NICE:-10}" \
  --connections "${CONNECTIONS:-8}" --duration "${DURATION:-10}" --warmup "${WARMUP:-2}" \
  "${flags[@]}"
