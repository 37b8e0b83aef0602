#!/usr/bin/env bash
# Every function as Lambda runs it: a fresh `make dev` (emulator, account,
# admin key), `cargo lambda watch` with the same environment, and each
# events/<function>.json sent with `cargo lambda invoke --data-file`.
# scripts/invoke_events.py checks each status code and body shape.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${MAILKEYS_URL:-}" ] || exec scripts/with-dev.sh "$0"

scripts/venv.sh lambda-venv cargo-lambda==1.9.2
export PATH="$PWD/.local/lambda-venv/bin:$PATH"
# Built up front so that no invocation waits for the compiler.
cargo build --quiet -p mailkeys-functions

export MAILKEYS_INVOKE_PORT=9011
log=.local/lambda-watch.log
setsid cargo lambda watch --quiet --invoke-address 127.0.0.1 --invoke-port "$MAILKEYS_INVOKE_PORT" > "$log" 2>&1 &
watch_pid=$!
trap 'kill -- -"$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$MAILKEYS_INVOKE_PORT/"; then break; fi
  kill -0 "$watch_pid" 2>/dev/null || { cat "$log"; echo "cargo lambda watch did not start" >&2; exit 1; }
  sleep 0.2
done

python3 scripts/invoke_events.py || { echo "cargo lambda watch log: $log" >&2; exit 1; }
