#!/usr/bin/env bash
# Installs what building and running orgpass needs, into caches inside the checkout
# (.tools/, node_modules/), skipping whatever is already there. Safe to run often:
# a second run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

# The wasm-bindgen CLI must be exactly the version the crate links (Cargo.lock), or
# worker-build refuses it; worker-build would download it from GitHub, unreachable here.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
WORKER_BUILD_REQ="^0.8"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

mkdir -p .tools/bin
if [ "$(.tools/bin/wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # Not --locked: the registry lacks one of its locked dependencies (TOOLCHAIN.md).
  cargo install --quiet --root .tools wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

if ! .tools/bin/worker-build --version >/dev/null 2>&1; then
  say "installing worker-build $WORKER_BUILD_REQ"
  cargo install --quiet --root .tools "worker-build@$WORKER_BUILD_REQ"
fi

if [ ! -x node_modules/.bin/wrangler ] || [ ! -x node_modules/.bin/wasm-opt ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing wrangler and binaryen (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
