#!/usr/bin/env bash
# Load benchmark: Hearth serving a busy topic page versus nginx serving the very same
# bytes as a static file, and the topic's 50-item feed against the page. Run by hand from anywhere: bash bench/topic_page.sh
# See bench/README.md for what it measures and the targets.
#
# Settings (environment):
#   HEARTH_BIN          use this binary and skip `cargo build --release`
#   BENCH_DATABASE_URL  run Hearth on this (empty) database instead of SQLite
#   DURATION=20s CONNECTIONS=64 THREADS=2 WARMUP=5s   wrk settings
#   ROUNDS=5 PAIR_SECONDS=4s   the member's ratio: paired runs of nginx and the member's page
#   BENCH_STRICT=1      exit 1 when a target is missed
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT_DIR="$ROOT/bench/out"
OUT_MD="$OUT_DIR/topic_page.md"

TOPIC_TITLE="Tips for the first weeks of chemotherapy"
SPACE_PATH="/s/living-with-cancer"
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
WARMUP=${WARMUP:-5s}
ROUNDS=${ROUNDS:-5}
PAIR_SECONDS=${PAIR_SECONDS:-4s}
SERVER_CPU=0
LOAD_CPU=1

# Targets (see README.md).
TARGET_RATIO=0.5
# A signed-in member's page (issue 6).
TARGET_MEMBER_RATIO=0.2
TARGET_P99_MS=20
TARGET_IDLE_RSS_MIB=50
# The topic's feed (50 items) is served at least as fast as its page.
TARGET_FEED_RATIO=1.0

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# --- everything started here is stopped on the way out --------------------------------
WORK=""
HEARTH_PID=""
NGINX_PID=""
SAMPLER_PID=""

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
  stop_pid "$SAMPLER_PID" 1
  stop_pid "$NGINX_PID" 5
  stop_pid "$HEARTH_PID" 10
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

# --- tools ----------------------------------------------------------------------------
need_install=()
command -v wrk >/dev/null 2>&1 || need_install+=(wrk)
[ -x /usr/sbin/nginx ] || need_install+=(nginx-light)
if [ ${#need_install[@]} -gt 0 ]; then
  log "installing ${need_install[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_install[@]}" >/dev/null
fi
for tool in taskset curl python3; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is needed"
done
[ "$(nproc)" -ge 2 ] || die "needs 2 CPUs: the servers on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU"

# --- the binary -----------------------------------------------------------------------
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

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hearth-bench.XXXXXX")
chmod 755 "$WORK" # nginx's worker may run as another user
mkdir -p "$WORK/data" "$WORK/www" "$WORK/nginx/tmp" "$OUT_DIR"

hearth_env=(env -u DATABASE_URL "HEARTH_DATA_DIR=$WORK/data")
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  hearth_env+=("DATABASE_URL=$BENCH_DATABASE_URL")
fi

# --- Hearth with the demo data ----------------------------------------------------------
log "hearth demo"
"${hearth_env[@]}" "$BIN" demo >"$WORK/demo.log" 2>&1 || {
  cat "$WORK/demo.log" >&2
  die "hearth demo failed"
}

# A member to read as (the demo's "rose"), with a password made for this run.
MEMBER_PASSWORD="bench-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
printf '%s' "$MEMBER_PASSWORD" | "${hearth_env[@]}" "$BIN" admin reset-password --alias rose --password-stdin >/dev/null ||
  die "cannot set the demo member's password"

HEARTH_PORT=$(free_port)
HEARTH_URL="http://127.0.0.1:$HEARTH_PORT"
log "hearth serve on $HEARTH_URL, pinned to CPU $SERVER_CPU"
# taskset and env exec the binary, so $! is hearth's own pid.
taskset -c "$SERVER_CPU" "${hearth_env[@]}" \
  "HEARTH_BIND=127.0.0.1:$HEARTH_PORT" "HEARTH_BASE_URL=$HEARTH_URL" RUST_LOG=warn \
  "$BIN" serve >"$WORK/hearth.log" 2>&1 &
HEARTH_PID=$!

for ((i = 0; ; i++)); do
  kill -0 "$HEARTH_PID" 2>/dev/null || die "hearth serve exited early"
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$HEARTH_URL/healthz")" = 200 ]; then break; fi
  [ "$i" -lt 300 ] || die "hearth not healthy after 30 s"
  sleep 0.1
done


# --- find the topic and keep its bytes ----------------------------------------------------
curl -fsS "$HEARTH_URL$SPACE_PATH" -o "$WORK/space.html" || die "GET $SPACE_PATH failed"
TOPIC_PATH=$(
  python3 - "$WORK/space.html" "$TOPIC_TITLE" <<'PY'
import sys
from html.parser import HTMLParser

path, title = sys.argv[1], sys.argv[2]

class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.found = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.stack.append([dict(attrs).get("href"), ""])

    def handle_data(self, data):
        for link in self.stack:
            link[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self.stack:
            href, text = self.stack.pop()
            if href and " ".join(text.split()) == title:
                self.found.append(href)

p = Links()
p.feed(open(path, encoding="utf-8").read())
if p.found:
    print(p.found[0])
PY
)
[ -n "$TOPIC_PATH" ] || die "no link titled \"$TOPIC_TITLE\" on $SPACE_PATH"
case "$TOPIC_PATH" in
  http://* | https://*) TOPIC_PATH="/${TOPIC_PATH#*://*/}" ;;
esac
curl -fsS "$HEARTH_URL$TOPIC_PATH" -o "$WORK/www/topic.html" || die "GET $TOPIC_PATH failed"
chmod 644 "$WORK/www/topic.html"
chmod 755 "$WORK/www"
PAGE_BYTES=$(wc -c <"$WORK/www/topic.html")
log "topic page $TOPIC_PATH: $PAGE_BYTES bytes"

# The topic's own RSS feed: its newest 50 posts.
FEED_PATH="/feeds/t/${TOPIC_PATH##*/}/rss"
curl -fsS "$HEARTH_URL$FEED_PATH" -o "$WORK/feed.xml" || die "GET $FEED_PATH failed"
FEED_ITEMS=$(grep -o '<item>' "$WORK/feed.xml" | wc -l)
FEED_BYTES=$(wc -c <"$WORK/feed.xml")
log "feed $FEED_PATH: $FEED_ITEMS items, $FEED_BYTES bytes"

# --- nginx serving the same bytes ---------------------------------------------------------
NGINX_PORT=$(free_port)
NGINX_URL="http://127.0.0.1:$NGINX_PORT/topic"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $WORK/nginx/tmp/body;
  proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
  scgi_temp_path $WORK/nginx/tmp/scgi;
  types { }
  default_type "text/html; charset=utf-8";
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location = /topic { try_files /topic.html =404; }
  }
}
EOF
/usr/sbin/nginx -t -q -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" ||
  die "nginx config test failed: $(cat "$WORK/nginx/error.log")"
log "nginx on $NGINX_URL, pinned to CPU $SERVER_CPU"
taskset -c "$SERVER_CPU" /usr/sbin/nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" \
  -e "$WORK/nginx/error.log" &
NGINX_PID=$!
for ((i = 0; ; i++)); do
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx exited: $(cat "$WORK/nginx/error.log")"
  curl -fsS "$NGINX_URL" -o "$WORK/nginx-copy.html" 2>/dev/null && break
  [ "$i" -lt 100 ] || die "nginx not answering after 10 s"
  sleep 0.1
done
cmp -s "$WORK/www/topic.html" "$WORK/nginx-copy.html" || die "nginx does not serve the same bytes"

# --- measuring ----------------------------------------------------------------------------
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# Runs wrk (warm-up first) and prints: req_per_s p99_ms errors.
# A third argument is an extra request header.
load() {
  local url=$1 name=$2 out="$WORK/wrk-$2.txt"
  local header=(-H "${3:-X-Bench: 1}")
  log "$name: warm-up $WARMUP"
  taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" "${header[@]}" "$url" >/dev/null
  log "$name: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency ${header[*]}"
  taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "$url" >"$out"
  sed 's/^/   /' "$out" >&2
  awk '
    function ms(v) {
      if (v ~ /us$/) return (v + 0) / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return (v + 0) * 60000
      if (v ~ /s$/) return (v + 0) * 1000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { err += $NF }
    /Socket errors:/ { for (i = 4; i <= NF; i += 2) err += $i }
    END {
      if (rps == "" || p99 == "") exit 1
      printf "%s %.3f %d\n", rps, p99, err
    }
  ' "$out" || die "could not read wrk output for $name"
}

sleep 1
IDLE_KIB=$(rss_kib "$HEARTH_PID")
echo "$IDLE_KIB" >"$WORK/rss-peak"
(
  peak=$IDLE_KIB
  while kill -0 "$HEARTH_PID" 2>/dev/null; do
    now=$(rss_kib "$HEARTH_PID")
    if [ "${now:-0}" -gt "$peak" ]; then
      peak=$now
      echo "$peak" >"$WORK/rss-peak"
    fi
    sleep 0.5
  done
) &
SAMPLER_PID=$!
taskset -cp "$LOAD_CPU" "$SAMPLER_PID" >/dev/null

read -r HEARTH_RPS HEARTH_P99 HEARTH_ERR < <(load "$HEARTH_URL$TOPIC_PATH" hearth)
stop_pid "$SAMPLER_PID" 1
SAMPLER_PID=""
PEAK_KIB=$(cat "$WORK/rss-peak")
HWM_KIB=$(hwm_kib "$HEARTH_PID")

read -r NGINX_RPS NGINX_P99 NGINX_ERR < <(load "$NGINX_URL" nginx)

# Signed in after the idle figure: checking a password takes Argon2's 19 MiB of
# working memory, which the allocator keeps until it next tidies that thread.
MEMBER_COOKIE=$(
  curl -fsS -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"email\":\"rose@demo.invalid\",\"password\":\"$MEMBER_PASSWORD\"}" "$HEARTH_URL/api/session" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: hearth_session=\([^;]*\).*/\1/p'
)
[ -n "$MEMBER_COOKIE" ] || die "cannot sign in as the demo member"

# The same page for a signed-in member: rendered on every request for them
# (their name, counts and form token in it), from the parts kept in memory.
read -r MEMBER_RPS MEMBER_P99 MEMBER_ERR < <(load "$HEARTH_URL$TOPIC_PATH" hearth-member "Cookie: hearth_session=$MEMBER_COOKIE")
MEMBER_RSS_MIB=$(awk -v k="$(rss_kib "$HEARTH_PID")" 'BEGIN { printf "%.1f", k / 1024 }')
# The member's ratio from paired rounds: nginx, then the member's page, PAIR_SECONDS
# each, ROUNDS times; the median of the rounds' ratios. These machines drift (nginx
# alone has measured 22,000 and 45,000 req/s a minute apart), so each ratio compares
# two runs next to each other in time.
rps_of() { # url header seconds
  taskset -c "$LOAD_CPU" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$3" -H "$2" "$1" |
    awk '/^Requests\/sec:/ { print $2 }'
}
# Prints the median of its arguments, then their range: "0.234 0.225–0.351".
median_range() {
  printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%s %s–%s\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
# ROUNDS paired runs: the reference (url, header), then the measured page (url,
# header); prints the median ratio measured / reference and its range.
paired_ratio() {
  local ratios=() reference measured round
  for ((round = 1; round <= ROUNDS; round++)); do
    reference=$(rps_of "$1" "$2" "$PAIR_SECONDS")
    measured=$(rps_of "$3" "$4" "$PAIR_SECONDS")
    ratios+=("$(awk -v a="$measured" -v b="$reference" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')")
    log "round $round: $1 $reference req/s, $3 $measured req/s"
  done
  median_range "${ratios[@]}"
}
read -r MEMBER_RATIO PAIR_RANGE < <(paired_ratio "$NGINX_URL" "X-Bench: 1" \
  "$HEARTH_URL$TOPIC_PATH" "Cookie: hearth_session=$MEMBER_COOKIE")

read -r FEED_RPS FEED_P99 FEED_ERR < <(load "$HEARTH_URL$FEED_PATH" hearth-feed)
# The feed's ratio to the guest's page from paired rounds too.
read -r FEED_RATIO FEED_RANGE < <(paired_ratio "$HEARTH_URL$TOPIC_PATH" "X-Bench: 1" \
  "$HEARTH_URL$FEED_PATH" "X-Bench: 1")

# --- report -------------------------------------------------------------------------------
verdict() { # "ok" when the awk condition on $1 holds
  if awk -v v="$1" "BEGIN { exit !($2) }"; then echo ok; else echo MISS; fi
}
RATIO=$(awk -v a="$HEARTH_RPS" -v b="$NGINX_RPS" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
IDLE_MIB=$(awk -v k="$IDLE_KIB" 'BEGIN { printf "%.1f", k / 1024 }')
PEAK_MIB=$(awk -v k="$PEAK_KIB" 'BEGIN { printf "%.1f", k / 1024 }')
HWM_MIB=$(awk -v k="$HWM_KIB" 'BEGIN { printf "%.1f", k / 1024 }')
V_RATIO=$(verdict "$RATIO" "v >= $TARGET_RATIO")
V_P99=$(verdict "$HEARTH_P99" "v < $TARGET_P99_MS")
V_RSS=$(verdict "$IDLE_MIB" "v < $TARGET_IDLE_RSS_MIB")
V_ERR=$(verdict "$HEARTH_ERR" "v == 0")
V_MEMBER=$(verdict "$MEMBER_RATIO" "v >= $TARGET_MEMBER_RATIO")

V_FEED=$(verdict "$FEED_RATIO" "v >= $TARGET_FEED_RATIO")

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then COMMIT="$COMMIT+dirty"; fi
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
DB_KIND=SQLite
[ -n "${BENCH_DATABASE_URL:-}" ] && DB_KIND=PostgreSQL

{
  echo "## Topic page: hearth vs nginx serving the same bytes"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT, $DB_KIND, $CPU_MODEL."
  echo "Page \`$TOPIC_PATH\` (\"$TOPIC_TITLE\"), $PAGE_BYTES bytes, as a guest and as the demo member rose."
  echo "Servers pinned to CPU $SERVER_CPU, \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency\` on CPU $LOAD_CPU after a $WARMUP warm-up."
  echo
  echo "| measure | hearth | nginx (static copy) | target | |"
  echo "| --- | ---: | ---: | --- | --- |"
  echo "| throughput (req/s) | $HEARTH_RPS | $NGINX_RPS | | |"
  echo "| ratio hearth / nginx | $RATIO | | ≥ $TARGET_RATIO | $V_RATIO |"
  echo "| p99 latency (ms) | $HEARTH_P99 | $NGINX_P99 | hearth < $TARGET_P99_MS | $V_P99 |"
  echo "| errors (non-2xx + socket) | $HEARTH_ERR | $NGINX_ERR | 0 | $V_ERR |"
  echo "| RSS idle, before load (MiB) | $IDLE_MIB | | < $TARGET_IDLE_RSS_MIB | $V_RSS |"
  echo "| RSS peak under load, sampled every 0.5 s (MiB) | $PEAK_MIB | | | |"
  echo "| RSS high-water mark, VmHWM (MiB) | $HWM_MIB | | | |"
  echo "| signed-in member (rendered for them on every request): throughput (req/s) | $MEMBER_RPS | | | |"
  echo "| member: ratio hearth / nginx, median of $ROUNDS paired $PAIR_SECONDS runs (lowest–highest) | $MEMBER_RATIO ($PAIR_RANGE) | | ≥ $TARGET_MEMBER_RATIO | $V_MEMBER |"
  echo "| member: p99 latency (ms), errors | $MEMBER_P99, $MEMBER_ERR | | | |"
  echo "| RSS after the sign-in and the member's load (MiB) | $MEMBER_RSS_MIB | | | |"
  echo "| topic feed \`$FEED_PATH\` ($FEED_ITEMS items, $FEED_BYTES bytes): throughput (req/s) | $FEED_RPS | | | |"
  echo "| feed / topic page throughput, median of $ROUNDS paired $PAIR_SECONDS runs (lowest–highest) | $FEED_RATIO ($FEED_RANGE) | | ≥ $TARGET_FEED_RATIO | $V_FEED |"
  echo "| feed: p99 latency (ms), errors | $FEED_P99, $FEED_ERR | | | |"
} >"$OUT_MD"

echo
cat "$OUT_MD"
echo
echo "(written to ${OUT_MD#"$ROOT"/})"

if [ "${BENCH_STRICT:-0}" = 1 ]; then
  for v in "$V_RATIO" "$V_P99" "$V_RSS" "$V_ERR" "$V_FEED" "$V_MEMBER"; do
    [ "$v" = ok ] || exit 1
  done
fi
