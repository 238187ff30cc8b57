#!/usr/bin/env bash
# Runs Hearth's browser tests. Needs the built binary (HEARTH_BIN, default
# ../target/debug/hearth) and Debian's Chromium at /usr/bin/chromium.
# Extra arguments go to `node --test` (e.g. --test-name-pattern=guest).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

exec node --test --test-concurrency=1 "$@" ./*.test.mjs
