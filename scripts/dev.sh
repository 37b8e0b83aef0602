#!/usr/bin/env bash
# `make dev`: the local AWS emulator, the tables and KMS key, a default account
# with an admin key, and every route on http://127.0.0.1:${PORT:-8080}.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
MOTO_PORT="${MOTO_PORT:-}"

scripts/emulator-venv.sh
cargo build --quiet -p mailkeys-tools --bins

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
[ -n "$MOTO_PORT" ] || MOTO_PORT="$(free_port)"

.local/venv/bin/python scripts/emulator.py -H 127.0.0.1 -p "$MOTO_PORT" > .local/moto.log 2>&1 &
moto_pid=$!
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  kill "$moto_pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/"; then break; fi
  kill -0 "$moto_pid" 2>/dev/null || { cat .local/moto.log; echo "the emulator did not start" >&2; exit 1; }
  sleep 0.1
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT"
export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
export MAILKEYS_TABLE=mailkeys MAILKEYS_AUDIT_TABLE=mailkeys-audit MAILKEYS_STAGE=test
# Connectivity tests may reach servers on this machine and private networks
# locally (never by default in AWS); MAILKEYS_EXTRA_CA_FILE passes through.
export MAILKEYS_ALLOW_PRIVATE_HOSTS=true

MAILKEYS_KMS_KEY_ID="$(target/debug/mailkeys-admin init | python3 -c 'import json,sys; print(json.load(sys.stdin)["kms_key_id"])')"
export MAILKEYS_KMS_KEY_ID

account="$(target/debug/mailkeys-admin create-account --name default)"
export MAILKEYS_ACCOUNT_ID="$(printf '%s' "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account_id"])')"
printf '%s' "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])' > .local/admin-key
chmod 600 .local/admin-key

cat > .local/env <<ENV
export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
export AWS_REGION=$AWS_REGION
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export MAILKEYS_TABLE=$MAILKEYS_TABLE
export MAILKEYS_AUDIT_TABLE=$MAILKEYS_AUDIT_TABLE
export MAILKEYS_KMS_KEY_ID=$MAILKEYS_KMS_KEY_ID
export MAILKEYS_STAGE=$MAILKEYS_STAGE
export MAILKEYS_ACCOUNT_ID=$MAILKEYS_ACCOUNT_ID
export MAILKEYS_ALLOW_PRIVATE_HOSTS=$MAILKEYS_ALLOW_PRIVATE_HOSTS
${MAILKEYS_EXTRA_CA_FILE:+export MAILKEYS_EXTRA_CA_FILE=$MAILKEYS_EXTRA_CA_FILE}
ENV

PORT="$PORT" target/debug/mailkeys-local &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "mailkeys-local did not start" >&2; exit 1; }
  sleep 0.1
done

cat <<MSG

Mailkeys is running on http://127.0.0.1:$PORT  (emulator on port $MOTO_PORT)
Account:   $MAILKEYS_ACCOUNT_ID
Admin key: $(cat .local/admin-key)   (also in .local/admin-key; environment in .local/env)

Try:
  curl -s http://127.0.0.1:$PORT/api/email-providers -H "Authorization: Bearer \$(cat .local/admin-key)"

Ctrl-C stops the server and the emulator.
MSG
wait "$server_pid"
