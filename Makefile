.PHONY: dev test test-deps build fmt lint lint-template openapi

# Every route on http://127.0.0.1:$(PORT) against a local AWS emulator.
dev:
	scripts/dev.sh

# Unit and integration tests; integration tests start their own emulator.
test: test-deps
	cargo check --quiet -p mailkeys-functions
	cargo build --quiet -p mailkeys-tools --bins
	cargo test --workspace --exclude mailkeys-functions

# The AWS emulator and SMTP test server (PyPI, into .local/venv) and dovecot (Debian).
test-deps:
	scripts/emulator-venv.sh
	scripts/test-servers.sh

# Release Lambda artifacts with cargo-lambda: target/lambda/<function>/bootstrap,
# arm64 as deployed (`make build ARCH=x86-64` for x86_64). Size-minded
# release profile in Cargo.toml.
ARCH ?= arm64
build:
	scripts/lambda-venv.sh
	PATH="$(CURDIR)/.local/lambda-venv/bin:$$PATH" cargo lambda build --release --$(ARCH) -p mailkeys-functions

# The OpenAPI document, generated from the code (a test fails when the
# committed copy is stale).
openapi:
	cargo run --quiet -p mailkeys-tools --bin mailkeys-admin -- openapi > infra/openapi.json

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings

# cfn-lint and `sam validate --lint` on infra/template.yaml (offline).
lint-template:
	scripts/lint-template.sh
