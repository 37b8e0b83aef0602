#!/usr/bin/env bash
# Usage: scripts/invoke-events.sh [FUNCTION]
# Functions as Lambda runs them: `cargo lambda watch` with the environment of
# `make dev`, and events/<function>.json sent with `cargo lambda invoke`,
# its placeholders filled with what scripts/invoke_events.py creates.
# - without FUNCTION (CI): a fresh `make dev`, every function in order, each
#   status code and body shape checked;
# - with FUNCTION (`make invoke FN=...`): the running `make dev`, that one
#   function, its answer printed.
set -euo pipefail
cd "$(dirname "$0")/.."

function=${1:-}
if [ -n "$function" ] && [ ! -f "events/$function.json" ]; then
  echo "no sample event for \"$function\"; one of: $(ls events | sed -n 's/\.json$//p' | tr '\n' ' ')" >&2
  exit 2
fi
if [ -z "${MAILKEYS_URL:-}" ]; then
  if [ -z "$function" ]; then
    exec scripts/with-dev.sh "$0"
  fi
  if [ ! -f .local/env ] || ! (source .local/env && curl -sf -o /dev/null "$MAILKEYS_URL/health"); then
    echo "no running make dev found: start \`make dev\` in another terminal first" >&2
    exit 1
  fi
  source .local/env
  MAILKEYS_ADMIN_KEY=$(cat .local/admin-key)
  export MAILKEYS_ADMIN_KEY
fi

[ -f .local/lambda-venv/.installed ] || echo "==> installing cargo-lambda (first time)" >&2
scripts/venv.sh lambda-venv cargo-lambda==1.9.2
export PATH="$PWD/.local/lambda-venv/bin:$PATH"
# Built up front so that no invocation waits for the compiler.
cargo build -p mailkeys-functions

MAILKEYS_INVOKE_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export MAILKEYS_INVOKE_PORT
log="${MAILKEYS_DEV_STATE:-.local}/lambda-watch.log"
setsid cargo lambda watch --quiet --invoke-address 127.0.0.1 --invoke-port "$MAILKEYS_INVOKE_PORT" > "$log" 2>&1 &
watch_pid=$!
trap 'kill -- -"$watch_pid" 2>/dev/null || true; wait "$watch_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$MAILKEYS_INVOKE_PORT/"; then break; fi
  kill -0 "$watch_pid" 2>/dev/null || { cat "$log"; echo "cargo lambda watch did not start" >&2; exit 1; }
  sleep 0.2
done

if [ -n "$function" ]; then
  python3 scripts/invoke_events.py --only "$function" || { echo "cargo lambda watch log: $log" >&2; exit 1; }
else
  python3 scripts/invoke_events.py || { echo "cargo lambda watch log: $log" >&2; exit 1; }
fi
