#!/usr/bin/env bash
# Runs every test: unit tests, integration tests against real Dovecot and PostgreSQL servers that
# the tests start themselves, and browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test

echo "==> building the server and the WASM bundle (dev profile)"
cargo leptos build

echo "==> tests"
cargo test -p app --features ssr
cargo test -p mailferry -p mailferry-tests
