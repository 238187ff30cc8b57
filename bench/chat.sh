#!/usr/bin/env bash
# Chat load benchmark: 10,000 members live in one room, 20 messages a second for a
# minute; delivery latency from send to every receiver, and the server's resident memory
# per idle connection. Run by hand from anywhere: bash bench/chat.sh
# See bench/README.md for what it measures and the targets.
#
# Settings (environment):
#   HEARTH_BIN          use this binary and skip `cargo build --release --bin hearth`
#   LOAD_BIN            use this load generator and skip `cargo build --release -p hearth-chat-load`
#   BENCH_DATABASE_URL  run Hearth on this (empty) database instead of SQLite
#   CONNECTIONS=10000 RATE=20 DURATION=60 (seconds of sending)
#   SENDERS             members who send, in turn (default: enough that each sends 6 a minute)
#   SETTLE=5 DRAIN=15   seconds to wait before reading idle memory / for late deliveries
#   FLOOR_ROUNDS=40     rounds of the kernel yardstick (bench/chat_floor.py)
#   BENCH_STRICT=1      exit 1 when a target is missed
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
OUT_MD="$OUT_DIR/chat.md"
OUT_JSON="$OUT_DIR/chat.json"

ROOM=nurse-chat # the `hearth demo` room (public_read, moderation after posting)
CONNECTIONS=${CONNECTIONS:-10000}
RATE=${RATE:-20}
DURATION=${DURATION:-60}
DURATION=${DURATION%s}
# New members may send 10 chat messages a minute (CHAT_PER_MINUTE_NEW_MEMBER): with
# each sender at 6 a minute the limit is never reached, and it stays as it is.
SENDERS=${SENDERS:-$(awk -v r="$RATE" 'BEGIN { s = r * 60 / 6; printf "%d", (s == int(s) ? s : int(s) + 1) }')}
SETTLE=${SETTLE:-5}
DRAIN=${DRAIN:-15}
SERVER_CPU=0
LOAD_CPU=1
CHAT_PER_MINUTE_NEW_MEMBER=10

# Targets (see README.md).
TARGET_P99_MS=100
TARGET_KIB_PER_CONNECTION=20

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# --- everything started here is stopped on the way out --------------------------------
WORK=""
HEARTH_PID=""

stop_pid() { # pid [seconds before SIGKILL]
  local pid=$1 grace=${2:-5} i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$HEARTH_PID" 10
  if [ -n "$WORK" ] && [ -f "$WORK/hearth.log" ]; then
    cp "$WORK/hearth.log" "$OUT_DIR/chat-hearth.log" 2>/dev/null || true
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

# --- tools and limits -------------------------------------------------------------------
for tool in taskset curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the server on CPU $SERVER_CPU, the load on CPU $LOAD_CPU"
awk -v c="$CONNECTIONS" -v r="$RATE" -v d="$DURATION" -v s="$SENDERS" \
  'BEGIN { exit !(c >= 1 && r > 0 && d > 0 && s >= 1 && s <= c) }' ||
  die "CONNECTIONS, RATE and DURATION must be positive, SENDERS from 1 to CONNECTIONS"
PER_SENDER=$(awk -v r="$RATE" -v s="$SENDERS" 'BEGIN { printf "%.1f", r * 60 / s }')
if awk -v p="$PER_SENDER" -v l="$CHAT_PER_MINUTE_NEW_MEMBER" 'BEGIN { exit !(p > l) }'; then
  log "warning: each sender sends $PER_SENDER a minute, over the limit of $CHAT_PER_MINUTE_NEW_MEMBER: expect refusals"
fi
# Each connection is a file descriptor on both sides.
NEED_FDS=$((CONNECTIONS + 1024))
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$NEED_FDS" ] ||
  die "needs $NEED_FDS open files, the hard limit is $(ulimit -Hn) (raise it, e.g. in /etc/security/limits.conf)"

# --- the binaries -------------------------------------------------------------------------
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -n "${HEARTH_BIN:-}" ]; then
  BIN=$HEARTH_BIN
else
  log "cargo build --release --bin hearth"
  cargo build --release --locked --bin hearth
  BIN="$TARGET_DIR/release/hearth"
fi
if [ -n "${LOAD_BIN:-}" ]; then
  LOAD=$LOAD_BIN
else
  log "cargo build --release -p hearth-chat-load"
  cargo build --release --locked -p hearth-chat-load
  LOAD="$TARGET_DIR/release/chat-load"
fi
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
case "$LOAD" in /*) ;; *) LOAD="$ROOT/$LOAD" ;; esac
[ -x "$BIN" ] || die "no hearth binary at $BIN"
[ -x "$LOAD" ] || die "no load generator at $LOAD"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-chat-bench.XXXXXX")
mkdir -p "$WORK/data" "$OUT_DIR"
HEARTH_PORT=$(free_port)
HEARTH_URL="http://127.0.0.1:$HEARTH_PORT"
hearth_env=(env -u DATABASE_URL "HEARTH_DATA_DIR=$WORK/data"
  "HEARTH_BIND=127.0.0.1:$HEARTH_PORT" "HEARTH_BASE_URL=$HEARTH_URL" RUST_LOG=warn)
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  hearth_env+=("DATABASE_URL=$BENCH_DATABASE_URL")
fi

# --- the room and its members ---------------------------------------------------------------
log "hearth demo (the room /r/$ROOM)"
"${hearth_env[@]}" "$BIN" demo >"$WORK/demo.log" 2>&1 || {
  cat "$WORK/demo.log" >&2
  die "hearth demo failed"
}
log "$CONNECTIONS members with a session each ($SENDERS of them send)"
"${hearth_env[@]}" "$LOAD" setup --members "$CONNECTIONS" --senders "$SENDERS" \
  --sessions "$WORK/sessions.tsv" >"$WORK/setup.log" 2>&1 || {
  tail -n 20 "$WORK/setup.log" >&2
  die "making the members failed"
}
tail -n 1 "$WORK/setup.log" >&2

# --- the yardstick: the kernel's part alone ----------------------------------------------------
# One small write to each of CONNECTIONS loopback sockets per message, with nothing of
# Hearth's: what the kernel charges the server's CPU for a delivery at the least.
FLOOR_ROUNDS=${FLOOR_ROUNDS:-40}
log "kernel yardstick: $FLOOR_ROUNDS rounds of one write to each of $CONNECTIONS loopback sockets"
taskset -c "$SERVER_CPU" python3 bench/chat_floor.py "$CONNECTIONS" "$FLOOR_ROUNDS" "$RATE" "$LOAD_CPU" \
  >"$OUT_DIR/chat_floor.json" || die "the kernel yardstick failed"

# --- the server ------------------------------------------------------------------------------
log "hearth serve on $HEARTH_URL, pinned to CPU $SERVER_CPU"
# taskset and env exec the binary, so $! is hearth's own pid.
taskset -c "$SERVER_CPU" "${hearth_env[@]}" "$BIN" serve >"$WORK/hearth.log" 2>&1 &
HEARTH_PID=$!
for ((i = 0; ; i++)); do
  kill -0 "$HEARTH_PID" 2>/dev/null || die "hearth serve exited early"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$HEARTH_URL/healthz")" = 200 ]; then break; fi
  [ "$i" -lt 300 ] || die "hearth not healthy after 30 s"
  sleep 0.1
done
# The room page once, as a visitor opens it before its socket.
curl -fsS -o /dev/null "$HEARTH_URL/r/$ROOM" || die "GET /r/$ROOM failed"
sleep 1

# --- the load --------------------------------------------------------------------------------
log "chat-load on CPU $LOAD_CPU: $CONNECTIONS connections, $RATE messages/s for $DURATION s from $SENDERS senders"
taskset -c "$LOAD_CPU" "$LOAD" run --url "$HEARTH_URL" --room "$ROOM" \
  --sessions "$WORK/sessions.tsv" --connections "$CONNECTIONS" --senders "$SENDERS" \
  --rate "$RATE" --duration "$DURATION" --server-pid "$HEARTH_PID" --server-cpu "$SERVER_CPU" \
  --settle "$SETTLE" --drain "$DRAIN" >"$OUT_JSON"
kill -0 "$HEARTH_PID" 2>/dev/null || die "hearth serve exited during the run"

# --- report ----------------------------------------------------------------------------------
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then COMMIT="$COMMIT+dirty"; fi
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
DB_KIND=SQLite
[ -n "${BENCH_DATABASE_URL:-}" ] && DB_KIND=PostgreSQL

# Exits 3 when a target is missed.
status=0
python3 - "$OUT_JSON" "$OUT_MD" "$TARGET_P99_MS" "$TARGET_KIB_PER_CONNECTION" "$OUT_DIR/chat_floor.json" \
  "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $DB_KIND, $CPU_MODEL, load average $(cut -d' ' -f1-3 /proc/loadavg)." <<'PY' || status=$?
import json, sys

src, out, target_p99, target_kib, floor_src, header = sys.argv[1:7]
r = json.load(open(src))
floor = json.load(open(floor_src))
target_p99, target_kib = float(target_p99), float(target_kib)


def verdict(ok):
    return "ok" if ok else "MISS"


all_delivered = r["received"] == r["expected"] and r["expected"] > 0
# A message the spam filter holds is no failure of delivery: it reaches its author only.
clean = (r["connect_failures"] == 0 and r["dropped_connections"] == 0
         and r["refused"] == 0 and r["duplicates"] == 0 and r["sent"] == r["planned"])
lines = [
    "## Chat: %d members live in one room" % r["connections"],
    "",
    header,
    "Server pinned to CPU 0, the load generator (`chat-load`) to CPU 1. %d senders sent %d messages "
    "at %g/s for %g s over their own sockets; every connection is a member of its own." % (
        r["senders"], r["sent"], r["rate"], r["duration_seconds"]),
    "",
    "| measure | value | target | |",
    "| --- | ---: | --- | --- |",
    "| connections open (failed) | %d (%d), in %.1f s | | |" % (
        r["connected"], r["connect_failures"], r["connect_seconds"]),
    "| server RSS before / idle with all connected (MiB) | %.1f / %.1f | | |" % (
        r["rss_before_kib"] / 1024, r["rss_idle_kib"] / 1024),
    "| **RSS per idle connection (KiB)** | **%.1f** | < %g | %s |" % (
        r["kib_per_idle_connection"], target_kib, verdict(r["kib_per_idle_connection"] < target_kib)),
    "| delivery latency p50 / p95 (ms) | %.2f / %.2f | | |" % (r["p50_ms"], r["p95_ms"]),
    "| **delivery latency p99 (ms)** | **%.2f** | < %g | %s |" % (
        r["p99_ms"], target_p99, verdict(r["p99_ms"] < target_p99 and all_delivered)),
    "| delivery latency max (ms) | %.2f | | |" % r["max_ms"],
    "| per message, send to its last delivery: p50 / p99 / max (ms) | %.2f / %.2f / %.2f | | |" % (
        r["send_to_last_delivery_ms"]["p50"], r["send_to_last_delivery_ms"]["p99"],
        r["send_to_last_delivery_ms"]["max"]),
    "| per message, first to last delivery: p50 / p99 (ms) | %.2f / %.2f | | |" % (
        r["first_to_last_delivery_ms"]["p50"], r["first_to_last_delivery_ms"]["p99"]),
    "| the server's answer to the sender (`sent`): p50 / p99 (ms) | %.2f / %.2f | | |" % (
        r["answer_p50_ms"], r["answer_p99_ms"]),
    "| deliveries received / expected | %d / %d | all | %s |" % (
        r["received"], r["expected"], verdict(all_delivered)),
    "| messages accepted / held / refused | %d / %d / %d | | |" % (
        r["acked"], r["held"], r["refused"]),
    "| duplicates, dropped connections, refused sends | %d, %d, %d | 0 | %s |" % (
        r["duplicates"], r["dropped_connections"], r["refused"], verdict(clean)),
    "| server CPU while sending (one core = 100 %%) | %.0f %% | | |" % r["server_cpu_percent_sending"],
    "| server CPU per delivery, of it in user space (µs) | %.2f, %.2f | | |" % (
        r["server_cpu_us_per_delivery"], r["server_user_us_per_delivery"]),
    "| yardstick: kernel CPU per write of 400 bytes to one of %d loopback sockets, nothing else (µs) | %.2f | | |" % (
        floor["connections"], floor["system_us_per_write"]),
    "| yardstick × deliveries a second: a core's share to write each message on its own | %.0f %% | | |" % (
        floor["system_us_per_write"] * r["connections"] * r["rate"] / 1e4),
    "| CPU %d busy / of it the server / stolen by the hypervisor | %.0f %% / %.0f %% / %.0f %% | | |" % (
        r["server_core"], r["server_core_busy_percent"], r["server_cpu_percent_sending"], r["server_core_steal_percent"]),
    "| server threads ready but waiting for a CPU (share of the time) | %.0f %% | | |" % r["server_waited_for_cpu_percent"],
    "| load generator CPU while sending | %.0f %% | | |" % r["generator_cpu_percent_sending"],
    "| server RSS peak while sending (MiB) | %.1f | | |" % (r["server_rss_peak_kib"] / 1024),
    "| presence frames received while connecting / sending | %d / %d | | |" % (
        r["presence_frames_connecting"], r["presence_frames_sending"]),
]
if r["problems"]:
    lines += ["", "Problems seen:", ""]
    lines += ["- %d × %s" % (n, reason) for reason, n in sorted(r["problems"].items())]
open(out, "w").write("\n".join(lines) + "\n")
ok = all_delivered and clean and r["p99_ms"] < target_p99 and r["kib_per_idle_connection"] < target_kib
sys.exit(0 if ok else 3)
PY
echo
cat "$OUT_MD"
echo
echo "(written to ${OUT_MD#"$ROOT"/}, raw figures in ${OUT_JSON#"$ROOT"/}, the server's log in bench/out/chat-hearth.log)"
if [ "${BENCH_STRICT:-0}" = 1 ] && [ "$status" -ne 0 ]; then
  exit 1
fi
