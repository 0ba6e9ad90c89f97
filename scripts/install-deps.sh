#!/usr/bin/env bash
# Installs what Mailferry needs: `install-deps.sh start` to build and run the app,
# `install-deps.sh test` for every test, `install-deps.sh release` adds wasm-opt for release builds,
# `install-deps.sh bench` is test + release + mbsync (the benchmark's peer). Idempotent: each step
# checks first and skips what is already there at the right version.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must match the wasm-bindgen pin in Cargo.toml
WASM_OPT_VERSION=0.116.1       # from crates.io; Debian's binaryen 108 breaks the page
NEXTEST_VERSION=0.9.143        # installed only where no cargo-nextest is on the PATH
mode=${1:-start}

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

sudo_cmd() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    sudo_cmd apt-get update -qq
    sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# The build needs a C compiler (SQLite is compiled in) and pkg-config.
apt_install build-essential pkg-config ca-certificates

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  # --debug builds in a fraction of the time and is fast enough; no_downloads: nothing from GitHub.
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads --debug
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if { [ "$mode" = "test" ] || [ "$mode" = "bench" ]; } && ! cargo nextest --version >/dev/null 2>&1; then
  # The test runner: integration test binaries in parallel.
  log "installing cargo-nextest $NEXTEST_VERSION"
  cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked
fi

if { [ "$mode" = "release" ] || [ "$mode" = "bench" ]; } && ! wasm-opt --version 2>/dev/null | grep -q "version 116"; then
  log "installing wasm-opt $WASM_OPT_VERSION (release builds only; takes a while once)"
  cargo install wasm-opt --version "$WASM_OPT_VERSION" --locked
fi

if [ "$mode" = "test" ] || [ "$mode" = "bench" ]; then
  # Real servers for the integration tests (started by the tests themselves, never as services),
  # Chromium for the browser tests, Node for Playwright.
  apt_install dovecot-core dovecot-imapd postgresql chromium openssl
  # Commands that may come from elsewhere (e.g. a newer Node.js): install only when missing.
  command -v psql >/dev/null || apt_install postgresql-client
  command -v node >/dev/null || apt_install nodejs
  command -v npm >/dev/null || apt_install npm
  if [ ! -d end2end/node_modules/playwright-core ]; then
    log "installing the end-to-end test packages"
    (cd end2end && npm ci --no-audit --no-fund)
  fi
fi

# Unpacks one Debian package into the test bed's cache without installing it: Cyrus's and Courier's
# IMAP servers conflict with dovecot-imapd (all provide imap-server). The tests run the unpacked
# binaries; the libraries and tools they need come from the installed *-common packages.
unpack_into_cache() {
  local pkg=$1 version=$2 cache=/var/cache/mailferry-testbed/$3
  if [ "$(cat "$cache/version" 2>/dev/null)" = "$version" ] && [ -d "$cache/root/usr" ]; then
    return
  fi
  log "unpacking $pkg $version into $cache"
  sudo_cmd mkdir -p "$cache/deb"
  sudo_cmd rm -rf "$cache/root" "$cache/deb"/*.deb
  (cd "$cache/deb" && { sudo_cmd apt-get download -qq "$pkg=$version" 2>/dev/null \
    || { sudo_cmd apt-get update -qq && sudo_cmd apt-get download -qq "$pkg=$version"; }; })
  sudo_cmd dpkg-deb -x "$cache/deb/${pkg}_"*.deb "$cache/root"
  echo "$version" | sudo_cmd tee "$cache/version" >/dev/null
}

candidate() {
  local v
  v=$(apt-cache policy "$1" | awk '/Candidate:/ { print $2 }')
  if [ -z "$v" ] || [ "$v" = "(none)" ]; then
    sudo_cmd apt-get update -qq
    v=$(apt-cache policy "$1" | awk '/Candidate:/ { print $2 }')
  fi
  echo "$v"
}

if [ "$mode" = "test" ] || [ "$mode" = "bench" ]; then
  # Cyrus IMAP and Courier-IMAP for the real-server pairs (tests/pairs.rs). Services never start
  # here: the tests run the binaries in temp dirs on loopback.
  apt_install cyrus-common cyrus-admin sasl2-bin libsasl2-modules eatmydata \
    courier-base courier-authlib courier-authdaemon courier-authlib-userdb gamin
  unpack_into_cache cyrus-imapd "$(dpkg-query -W -f='${Version}' cyrus-common)" cyrus
  unpack_into_cache courier-imap "$(candidate courier-imap)" courier
  # Compiled-in paths of courier-authlib (its socket and user database).
  sudo_cmd mkdir -p /etc/courier /run/courier/authdaemon
fi

if [ "$mode" = "bench" ]; then
  # mbsync, the IMAP-to-IMAP tool the benchmark compares with (doveadm comes with dovecot-core).
  apt_install isync
fi
