#!/usr/bin/env bash
# Installs cargo-lambda (it brings zig for cross-builds) into .local/lambda-venv,
# and the Rust standard library for arm64 Lambda.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh lambda-venv cargo-lambda==1.9.2
rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' || rustup target add aarch64-unknown-linux-gnu
