#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against real Dovecot and PostgreSQL servers that
# the tests start themselves, and browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test

echo "==> building the server and the WASM bundle (dev profile)"
cargo leptos build

echo "==> tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test -p app --features ssr 2>&1 | tee "$log"
# Unit and integration tests (no doc tests in these crates; benches run separately).
cargo test -p mailferry -p mailferry-tests --lib --bins --tests 2>&1 | tee -a "$log"
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "%d passed, %d failed\n", passed, failed }' "$log"
