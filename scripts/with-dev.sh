#!/usr/bin/env bash
# Usage: scripts/with-dev.sh COMMAND...
# Starts a fresh `make dev` on a free port with its state in a folder of its
# own (.local/instances/dev.*, removed when it stops: a user's running
# `make dev` keeps .local/env and .local/admin-key), waits until it is
# healthy, runs COMMAND with its environment (its env file, MAILKEYS_URL
# among it) plus MAILKEYS_ADMIN_KEY and MAILKEYS_DEV_STATE, stops it, and
# exits with COMMAND's status.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p .local/instances
state=$(mktemp -d "$(pwd)/.local/instances/dev.XXXXXX")
log="$state/server.log"
MAILKEYS_DEV_STATE=$state PORT=$port setsid scripts/dev.sh > "$log" 2>&1 &
dev_pid=$!
trap 'kill -- -"$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; rm -rf "$state"' EXIT

for _ in $(seq 1 1200); do
  if [ -f "$state/env" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/health"; then break; fi
  kill -0 "$dev_pid" 2>/dev/null || { cat "$log"; echo "make dev did not start" >&2; exit 1; }
  sleep 0.5
done

source "$state/env"
MAILKEYS_ADMIN_KEY=$(cat "$state/admin-key")
# The server's output (its JSON access log among it), for tests that check what reached it.
MAILKEYS_DEV_LOG=$log
MAILKEYS_DEV_STATE=$state
export MAILKEYS_ADMIN_KEY MAILKEYS_DEV_LOG MAILKEYS_DEV_STATE
"$@"
