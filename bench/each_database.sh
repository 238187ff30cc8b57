#!/usr/bin/env bash
# Runs a Python benchmark driver once per database, each time on a fresh site: used by
# crash.sh and overload.sh.
#
#   bash bench/each_database.sh debug|release NAME DRIVER.py [driver arguments...]
#
# Builds the `hearth` binary in that profile (skipped when HEARTH_BIN is set), then for
# each of DATABASES ("sqlite postgres" by default) makes a temporary work directory and,
# for PostgreSQL, a database of its own on PG_ADMIN_URL (default
# postgres://postgres@127.0.0.1:5432/test), runs
#   python3 DRIVER --bin BIN --work DIR [--database-url URL] --report bench/out/NAME-DB.json ...
# and removes both afterwards, also on failure or Ctrl-C (the hearth log's last lines
# are shown on failure). Stops at the first driver that fails, with its exit status.
set -euo pipefail

PROFILE=$1 NAME=$2 DRIVER=$3
shift 3
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
DATABASES=${DATABASES:-sqlite postgres}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/test}

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

WORK=""
PG_DB=""
drop_database() {
  [ -n "$PG_DB" ] && psql "$PG_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1
  PG_DB=""
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  drop_database || true
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

case "$PROFILE" in
  debug) build=(cargo build --locked --bin hearth) ;;
  release) build=(cargo build --release --locked --bin hearth) ;;
  *) die "the profile is debug or release, not $PROFILE" ;;
esac
if [ -n "${HEARTH_BIN:-}" ]; then
  BIN=$HEARTH_BIN
else
  log "${build[*]}"
  "${build[@]}"
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/$PROFILE/hearth"
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || die "no hearth binary at $BIN"
mkdir -p "$OUT_DIR"

for db in $DATABASES; do
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-$NAME.XXXXXX")
  db_args=()
  case "$db" in
    sqlite) ;;
    postgres)
      command -v psql >/dev/null 2>&1 || die "psql is needed for the PostgreSQL run"
      PG_DB="hearth_${NAME}_$$"
      psql "$PG_ADMIN_URL" -qc "CREATE DATABASE $PG_DB" >/dev/null
      db_args=(--database-url "${PG_ADMIN_URL%/*}/$PG_DB")
      ;;
    *) die "DATABASES takes sqlite and postgres, not $db" ;;
  esac
  log "$NAME on $db (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  python3 "$ROOT/bench/$DRIVER" --bin "$BIN" --work "$WORK" --report "$OUT_DIR/$NAME-$db.json" \
    "${db_args[@]}" "$@"
  drop_database || true
  rm -rf "$WORK"
  WORK=""
done
