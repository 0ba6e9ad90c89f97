#!/usr/bin/env bash
# Builds Mailferry and starts it at http://127.0.0.1:3000 on SQLite (./data/mailferry.db).
# Extra arguments go to `mailferry serve` (e.g. --listen 0.0.0.0:3000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh start
# Dev profile (dependencies optimized, see Cargo.toml): a release build needs wasm-opt, which
# install-deps.sh builds from crates.io in about a quarter of an hour (`install-deps.sh release`;
# scripts/bench.sh does it and builds with `cargo leptos build --release`).
cargo leptos build
export LEPTOS_SITE_ROOT=target/site
exec target/debug/mailferry serve "$@"
