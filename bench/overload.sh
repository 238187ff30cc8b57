#!/usr/bin/env bash
# Overload: 2,000 concurrent connections against a mix of pages, searches, signed-in
# pages and posts; no answer may be a 5xx other than 503, every 503/429 carries
# Retry-After, and the server stays up. See bench/README.md.
#
#   bash bench/overload.sh                        # builds --release, SQLite then PostgreSQL
#   HEARTH_BIN=target/release/hearth DATABASES=sqlite bash bench/overload.sh
#
# Settings (environment):
#   HEARTH_BIN      use this binary and skip `cargo build --release`
#   DATABASES       "sqlite postgres" (default), or one of them
#   PG_ADMIN_URL    where the test's own PostgreSQL database is created and dropped
#                   (default postgres://postgres@127.0.0.1:5432/test)
#   CONNECTIONS=2000 DURATION=30 THREADS=2
#   HEARTH_CONCURRENT_READS, HEARTH_CONCURRENT_WRITES, HEARTH_QUEUE_TIMEOUT_MS are
#   passed to the server (the shipped defaults otherwise)
# Exit status 1 when a check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
DATABASES=${DATABASES:-sqlite postgres}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}
CONNECTIONS=${CONNECTIONS:-2000}
DURATION=${DURATION:-30}
THREADS=${THREADS:-2}

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

WORK=""
PG_DB=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ "$rc" -ne 0 ] && [ -f "$WORK/hearth.log" ]; then
      echo "-- last lines of the hearth log:" >&2
      tail -n 30 "$WORK/hearth.log" >&2 || true
    fi
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in taskset python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the server on CPU 0, wrk on CPU 1"
# Every connection is an open file, on both sides.
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] || [ "$hard" -ge $((CONNECTIONS + 1024)) ] ||
  die "the hard limit of open files ($hard) is below CONNECTIONS + 1024"
ulimit -n "$hard"

if [ -n "${HEARTH_BIN:-}" ]; then
  BIN=$HEARTH_BIN
else
  log "cargo build --release --bin hearth"
  cargo build --release --locked --bin hearth
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/hearth"
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || die "no hearth binary at $BIN"
mkdir -p "$OUT_DIR"

for db in $DATABASES; do
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-overload.XXXXXX")
  db_args=()
  case "$db" in
    sqlite) ;;
    postgres)
      command -v psql >/dev/null 2>&1 || die "psql is needed for the PostgreSQL run"
      PG_DB="hearth_overload_$$"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      db_args=(--database-url "${PG_ADMIN_URL%/*}/$PG_DB")
      ;;
    *) die "DATABASES takes sqlite and postgres, not $db" ;;
  esac
  log "overload on $db (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  python3 "$ROOT/bench/overload.py" --bin "$BIN" --work "$WORK" --connections "$CONNECTIONS" \
    --duration "$DURATION" --threads "$THREADS" --report "$OUT_DIR/overload-$db.json" "${db_args[@]}"
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
  rm -rf "$WORK"
  WORK=""
done
