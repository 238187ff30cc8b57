#!/usr/bin/env bash
# Crash test: keep posting while the server is killed with SIGKILL at random moments,
# then check that every acknowledged reply is there, intact and indexed, and that the
# database passes its integrity checks (bench/crash.py). See bench/README.md.
#
#   bash bench/crash.sh                           # SQLite and PostgreSQL, 20 kills each
#   DATABASES=sqlite bash bench/crash.sh
#   KILLS=5 MAX_INTERVAL=2 SEED=6 bash bench/crash.sh   # the short form CI runs
#
# Settings (environment):
#   HEARTH_BIN      use this binary and skip `cargo build` (a debug build is enough:
#                   this tests what survives a crash, not speed)
#   DATABASES       "sqlite postgres" (default), or one of them
#   PG_ADMIN_URL    where the test's own PostgreSQL database is created and dropped
#                   (default postgres://postgres@127.0.0.1:5432/test)
#   KILLS=20 WRITERS=8 MAX_INTERVAL=4 SEED=<random>
# Exit status 1 when anything acknowledged was lost or changed, or a check failed.
set -euo pipefail
seed=()
[ -n "${SEED:-}" ] && seed=(--seed "$SEED")
exec bash "$(dirname "${BASH_SOURCE[0]}")/each_database.sh" debug crash crash.py \
  --kills "${KILLS:-20}" --writers "${WRITERS:-8}" --max-interval "${MAX_INTERVAL:-4}" "${seed[@]}"
