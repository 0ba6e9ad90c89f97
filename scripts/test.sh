#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against real Dovecot, Cyrus, Courier and
# PostgreSQL servers that the tests start themselves, and browser tests in headless Chromium. The
# integration binaries run in parallel (cargo-nextest, settings in .config/nextest.toml); the
# slowest tests are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test

echo "==> building the server and the WASM bundle (dev profile)"
cargo leptos build

echo "==> tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The shared crate alone with its server features (never together with the browser's).
cargo test -p app --features ssr 2>&1 | tee "$log" || status=1
cargo nextest run -p mailferry -p mailferry-tests 2>&1 | tee -a "$log" || status=1

echo "==> slowest tests"
grep -E '^ +(PASS|FAIL|SLOW|TIMEOUT) +\[' "$log" \
  | sed -E 's/^ +[A-Z+ ]+\[ *([0-9.]+)s\] +(\([^)]*\) +)?/\1 s  /' \
  | sort -rn | uniq | head -n 10 || true

awk '/^test result:/ { passed += $4; failed += $6 }
     /Summary \[/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) passed += $(i-1); if ($i ~ /^failed/) failed += $(i-1) } }
     END { printf "%d passed, %d failed\n", passed, failed }' "$log"
exit $status
