#!/usr/bin/env bash
# Mail throughput: one news alert to 10,000 confirmed subscribers, delivered to a real
# SMTP server (aiosmtpd) on loopback; prints messages per second from the staff's
# "send" until the last copy arrives. Run by hand from anywhere: bash bench/mail.sh
# See bench/README.md for what it measures.
#
# Settings (environment):
#   HEARTH_BIN          use this binary and skip `cargo build --release`
#   BENCH_DATABASE_URL  run Hearth on this (empty) database instead of SQLite
#   SUBSCRIBERS=10000
#   SMTP_DELAY_MS=0     the SMTP server answers each message this much later (a slower relay)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
SUBSCRIBERS=${SUBSCRIBERS:-10000}
SMTP_DELAY_MS=${SMTP_DELAY_MS:-0}

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

python3 -c 'import aiosmtpd' 2>/dev/null || die "needs aiosmtpd: pip install -r .ci/requirements.txt"

WORK=""
HEARTH_PID=""
cleanup() {
  if [ -n "$HEARTH_PID" ] && kill -0 "$HEARTH_PID" 2>/dev/null; then
    kill -TERM "$HEARTH_PID" 2>/dev/null || true
    wait "$HEARTH_PID" 2>/dev/null || true
  fi
  [ -z "$WORK" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ -n "${HEARTH_BIN:-}" ]; then
  BIN=$HEARTH_BIN
else
  log "cargo build --release --bin hearth"
  cargo build --release --locked --bin hearth
  BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/hearth"
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
[ -x "$BIN" ] || die "no hearth binary at $BIN"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-mail-bench.XXXXXX")
mkdir -p "$WORK/data" "$OUT_DIR"
SMTP_PORT=$(free_port)
HEARTH_PORT=$(free_port)
HEARTH_URL="http://127.0.0.1:$HEARTH_PORT"
hearth_env=(env -u DATABASE_URL "HEARTH_DATA_DIR=$WORK/data"
  "HEARTH_BIND=127.0.0.1:$HEARTH_PORT" "HEARTH_BASE_URL=$HEARTH_URL"
  "HEARTH_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT?tls=none"
  "HEARTH_MAIL_FROM=Hearth bench <news@bench.example.org>" RUST_LOG=warn)
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  hearth_env+=("DATABASE_URL=$BENCH_DATABASE_URL")
fi

STAFF_PASSWORD="bench-staff-password"
"${hearth_env[@]}" "$BIN" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "hearth migrate failed"; }
printf '%s\n' "$STAFF_PASSWORD" | "${hearth_env[@]}" "$BIN" admin create-user \
  --alias bench_staff --email staff@bench.example.org --role staff --password-stdin \
  >"$WORK/admin.log" 2>&1 || { cat "$WORK/admin.log" >&2; die "creating the staff account failed"; }

log "hearth serve on $HEARTH_URL, mail to 127.0.0.1:$SMTP_PORT"
"${hearth_env[@]}" "$BIN" serve >"$WORK/hearth.log" 2>&1 &
HEARTH_PID=$!
for _ in $(seq 100); do
  kill -0 "$HEARTH_PID" 2>/dev/null || { cat "$WORK/hearth.log" >&2; die "hearth serve exited early"; }
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$HEARTH_URL/healthz")" = 200 ]; then break; fi
  sleep 0.1
done

log "$SUBSCRIBERS subscribers confirm, then one alert goes to all of them"
RESULT=$(python3 bench/mail_driver.py "$HEARTH_URL" "$SMTP_PORT" "$SUBSCRIBERS" \
  staff@bench.example.org "$STAFF_PASSWORD" "$HEARTH_PID" "$SMTP_DELAY_MS")
printf '%s\n' "$RESULT" >"$OUT_DIR/mail.json"
python3 - "$RESULT" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("| measure | value |")
print("|---|---|")
print("| subscribers | %d |" % r["subscribers"])
print("| staff's send request answered in | %s ms |" % r["send_request_ms"])
print("| first alert arrived after | %s ms |" % r["first_alert_after_ms"])
print("| all alerts arrived after | %s s |" % r["all_alerts_after_s"])
print("| **alert mail throughput** | **%s messages/s** |" % r["alert_messages_per_second"])
print("| confirmation mails (subscribing included) | %s messages/s |" % r["confirmation_messages_per_second"])
print("| counted as sent on /api/alerts | %d |" % r["counted_sent"])
print("| CPU per alert mail: Hearth / the SMTP server | %s / %s ms |" % (r["hearth_cpu_ms_per_message"], r["smtp_server_cpu_ms_per_message"]))
PY
