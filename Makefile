.PHONY: dev test emulator build fmt lint

# Every route on http://127.0.0.1:$(PORT) against a local AWS emulator.
dev:
	scripts/dev.sh

# Unit and integration tests; integration tests start their own emulator.
test: emulator
	cargo build --quiet -p mailkeys-tools --bins
	cargo test --workspace

emulator:
	scripts/emulator-venv.sh

# Release Lambda artifacts (size-minded profile in Cargo.toml).
build:
	cargo build --release -p mailkeys-functions

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings
