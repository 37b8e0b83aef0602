#!/usr/bin/env bash
# Installs cargo-lambda (it brings zig for cross-builds) into .local/lambda-venv,
# and the Rust standard library for arm64 Lambda.
set -euo pipefail
cd "$(dirname "$0")/.."
SPEC='cargo-lambda==1.9.2'
venv=.local/lambda-venv
if [ ! -f "$venv/.installed" ] || [ "$(cat "$venv/.installed")" != "$SPEC" ]; then
  mkdir -p .local
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$SPEC"
  echo "$SPEC" > "$venv/.installed"
fi
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' || rustup target add aarch64-unknown-linux-gnu
