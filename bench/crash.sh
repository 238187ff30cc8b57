#!/usr/bin/env bash
# Crash test: keep posting while the server is killed with SIGKILL at random moments,
# then check that every acknowledged reply is there, intact and indexed, and that the
# database passes its integrity checks. See bench/README.md.
#
#   bash bench/crash.sh                 # SQLite and PostgreSQL, 20 kills each
#   DATABASES=sqlite bash bench/crash.sh
#   KILLS=5 MAX_INTERVAL=2 bash bench/crash.sh   # the short form CI runs
#
# Settings (environment):
#   HEARTH_BIN      use this binary and skip `cargo build` (a debug build is enough:
#                   this tests what survives a crash, not speed)
#   DATABASES       "sqlite postgres" (default), or one of them
#   PG_ADMIN_URL    a PostgreSQL database to connect to while creating and dropping the
#                   test's own (default postgres://postgres@127.0.0.1:5432/test)
#   KILLS=20 WRITERS=8 MAX_INTERVAL=4 SEED=<random>
# Exit status 1 when anything acknowledged was lost or changed, or a check failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
DATABASES=${DATABASES:-sqlite postgres}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}
KILLS=${KILLS:-20}
WRITERS=${WRITERS:-8}
MAX_INTERVAL=${MAX_INTERVAL:-4}

log() { printf '== %s\n' "$*" >&2; }

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

if [ -n "${HEARTH_BIN:-}" ]; then
  BIN=$HEARTH_BIN
else
  log "cargo build --bin hearth"
  cargo build --locked --bin hearth
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/hearth"
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || {
  echo "error: no hearth binary at $BIN" >&2
  exit 1
}
mkdir -p "$OUT_DIR"

seed_args=()
[ -n "${SEED:-}" ] && seed_args=(--seed "$SEED")

for db in $DATABASES; do
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-crash.XXXXXX")
  db_args=()
  case "$db" in
    sqlite) ;;
    postgres)
      command -v psql >/dev/null 2>&1 || {
        echo "error: psql is needed for the PostgreSQL run" >&2
        exit 1
      }
      PG_DB="hearth_crash_$$"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      db_args=(--database-url "${PG_ADMIN_URL%/*}/$PG_DB")
      ;;
    *)
      echo "error: DATABASES takes sqlite and postgres, not $db" >&2
      exit 1
      ;;
  esac
  log "crash test on $db: $KILLS kills, $WRITERS writers"
  python3 "$ROOT/bench/crash.py" --bin "$BIN" --work "$WORK" --kills "$KILLS" --writers "$WRITERS" \
    --max-interval "$MAX_INTERVAL" --report "$OUT_DIR/crash-$db.json" "${seed_args[@]}" "${db_args[@]}"
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null
    PG_DB=""
  fi
  rm -rf "$WORK"
  WORK=""
done
