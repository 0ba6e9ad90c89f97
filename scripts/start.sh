#!/usr/bin/env bash
# Builds Mailferry and starts it at http://127.0.0.1:3000 on SQLite (./data/mailferry.db).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh start
cargo leptos build --release
export LEPTOS_SITE_ROOT=target/site
exec target/release/mailferry serve "$@"
