#!/usr/bin/env bash
# The performance benchmark: Mailferry against `doveadm backup` and mbsync on a seeded corpus,
# plus the web app's server-side figures. Builds the release binary and WASM bundle first, prints
# every figure and rewrites docs/performance.md. Settings: see tests/benches/performance/main.rs
# (e.g. MF_BENCH_ROUNDS=1 MF_BENCH_MESSAGES=500 for a quick run), then the same migration between
# Cyrus, Courier and Dovecot (tests/benches/pairs.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh bench

echo "==> building the server and the WASM bundle (release profile, wasm-opt)"
cargo leptos build --release

echo "==> benchmark"
# The throwaway Dovecot mail stores live in the temp dir (on disk, as a real server's would).
# MF_BENCH_TMPDIR=/dev/shm puts them on tmpfs, which takes the file system out of the figures.
if [ -n "${MF_BENCH_TMPDIR:-}" ]; then export TMPDIR="$MF_BENCH_TMPDIR"; fi
# The bench's own code (seeding, verifying) is built in the dev profile like the tests; the
# binary under test is the release one.
MAILFERRY_BIN="$PWD/target/release/mailferry" \
  cargo bench -p mailferry-tests --bench performance --profile dev

echo "==> between servers (Cyrus, Courier, Dovecot)"
MAILFERRY_BIN="$PWD/target/release/mailferry" \
  cargo bench -p mailferry-tests --bench pairs --profile dev
