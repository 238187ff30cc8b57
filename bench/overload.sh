#!/usr/bin/env bash
# Overload: 2,000 concurrent connections against a mix of pages, searches, signed-in
# pages and posts (bench/overload.py with wrk); no answer may be a 5xx other than 503,
# every 503/429 carries Retry-After, and the server stays up. See bench/README.md.
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
#   HEARTH_CONCURRENT_READS, HEARTH_CONCURRENT_WRITES, HEARTH_QUEUE_TIMEOUT_MS reach the
#   server (the shipped defaults otherwise)
# Exit status 1 when a check failed.
set -euo pipefail
CONNECTIONS=${CONNECTIONS:-2000}

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
for tool in taskset python3; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "error: $tool is needed" >&2
    exit 1
  }
done
[ "$(nproc)" -ge 2 ] || {
  echo "error: needs 2 CPUs: the server on CPU 0, wrk on CPU 1" >&2
  exit 1
}
# Every connection is an open file, on both sides.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((CONNECTIONS + 1024)) ]; then
  echo "error: the hard limit of open files ($hard) is below CONNECTIONS + 1024" >&2
  exit 1
fi
ulimit -n "$hard"
exec bash "$(dirname "${BASH_SOURCE[0]}")/each_database.sh" release overload overload.py \
  --connections "$CONNECTIONS" --duration "${DURATION:-30}" --threads "${THREADS:-2}"
