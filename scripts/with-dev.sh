#!/usr/bin/env bash
# Usage: scripts/with-dev.sh COMMAND...
# Starts a fresh `make dev` on a free port, waits until it is healthy (its
# /health answers 200 and .local/env is written), runs COMMAND with its
# environment (.local/env, MAILKEYS_URL among it) plus MAILKEYS_ADMIN_KEY,
# stops it, and exits with COMMAND's status.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
PORT=$port setsid scripts/dev.sh > "$log" 2>&1 &
dev_pid=$!
trap 'kill -- -"$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 1200); do
  if grep -qs "127.0.0.1:$port" .local/env && curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then break; fi
  kill -0 "$dev_pid" 2>/dev/null || { cat "$log"; echo "make dev did not start" >&2; exit 1; }
  sleep 0.5
done

source .local/env
MAILKEYS_ADMIN_KEY=$(cat .local/admin-key)
# The server's output (its JSON access log among it), for tests that check what reached it.
MAILKEYS_DEV_LOG=$log
export MAILKEYS_ADMIN_KEY MAILKEYS_DEV_LOG
"$@"
