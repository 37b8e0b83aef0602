#!/usr/bin/env bash
# Usage: scripts/with-dev.sh COMMAND...
# Starts a fresh `make dev` on 127.0.0.1:8080, waits until it answers, runs
# COMMAND with its environment (.local/env) plus MAILKEYS_URL and
# MAILKEYS_ADMIN_KEY, stops it, and exits with COMMAND's status.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
PORT=8080 setsid scripts/dev.sh > "$log" 2>&1 &
dev_pid=$!
trap 'kill -- -"$dev_pid" 2>/dev/null || true; wait "$dev_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 600); do
  if curl -s -o /dev/null http://127.0.0.1:8080/health; then break; fi
  kill -0 "$dev_pid" 2>/dev/null || { cat "$log"; echo "make dev did not start" >&2; exit 1; }
  sleep 0.5
done

source .local/env
export MAILKEYS_URL=http://127.0.0.1:8080
MAILKEYS_ADMIN_KEY=$(cat .local/admin-key)
export MAILKEYS_ADMIN_KEY
"$@"
