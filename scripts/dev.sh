#!/usr/bin/env bash
# `make dev`: the local AWS (DynamoDB Local, and moto for KMS and the rest),
# the tables and KMS key, a default account with an admin key, and every
# route on http://127.0.0.1:${PORT:-8080}. Its state (env, admin-key, the
# local AWS's logs) goes to $MAILKEYS_DEV_STATE: .local for `make dev`, a
# folder of their own for the instances that scripts/with-dev.sh starts (the
# tests, CI), so nothing else ever replaces .local/env or .local/admin-key.
# They are written only once the server answers, so a failed start never
# replaces those of a running one.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8080}"
state="${MAILKEYS_DEV_STATE:-.local}"
step() { printf '==> %s\n' "$*" >&2; }

# The port first, before anything is installed, started or written.
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  echo "PORT must be a port number from 1 to 65535 (got \"$PORT\")" >&2
  exit 2
fi
if ! python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$PORT" 2>/dev/null; then
  echo "port $PORT is already in use (another make dev?); stop it or choose one: make dev PORT=8081" >&2
  exit 2
fi

[ -f .local/venv/.installed ] || step "installing the local AWS (first time: moto and the SMTP test server, about a minute)"
scripts/emulator-venv.sh
scripts/dynamodb-local.sh
[ -x target/debug/mailkeys-local ] || step "building Mailkeys (first time: a few minutes)"
cargo build -p mailkeys-tools --bins

step "starting the local AWS (DynamoDB Local and moto)"
source scripts/local-aws.sh
export LOCAL_AWS_LOGS="$state/logs"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  stop_local_aws
}
trap cleanup EXIT INT TERM
start_local_aws

export MAILKEYS_TABLE=mailkeys MAILKEYS_AUDIT_TABLE=mailkeys-audit MAILKEYS_STAGE=test
# Connectivity tests and webhooks may reach servers on this machine and
# private networks locally (never by default in AWS), unless the environment
# says false (to try the guard); MAILKEYS_EXTRA_CA_FILE passes through.
export MAILKEYS_ALLOW_PRIVATE_HOSTS="${MAILKEYS_ALLOW_PRIVATE_HOSTS:-true}"

step "creating the tables, the KMS key, the webhook queue and a default account"
initialized="$(target/debug/mailkeys-admin init)"
MAILKEYS_KMS_KEY_ID="$(printf '%s' "$initialized" | python3 -c 'import json,sys; print(json.load(sys.stdin)["kms_key_id"])')"
MAILKEYS_WEBHOOK_QUEUE_URL="$(printf '%s' "$initialized" | python3 -c 'import json,sys; print(json.load(sys.stdin)["webhook_queue_url"])')"
export MAILKEYS_KMS_KEY_ID MAILKEYS_WEBHOOK_QUEUE_URL
account="$(target/debug/mailkeys-admin create-account --name default)"
MAILKEYS_ACCOUNT_ID="$(printf '%s' "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["account_id"])')"
export MAILKEYS_ACCOUNT_ID
admin_key="$(printf '%s' "$account" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')"

# A stand-in for GitHub's secret scanning keys, served by mailkeys-local, so
# that a report signed with its private half (mailkeys-admin
# send-github-report) is received as production receives GitHub's.
mkdir -p "$state"
target/debug/mailkeys-admin github-test-keys --dir "$state" > /dev/null
export MAILKEYS_DEV_GITHUB_KEYS_FILE="$state/github-scanning-keys.json"
export MAILKEYS_GITHUB_SCANNING_KEYS_URL="http://127.0.0.1:$PORT/dev/github-scanning-keys"

# A webhook receiver to point endpoints at (http://127.0.0.1:$PORT/dev/webhook-receiver).
export MAILKEYS_DEV_WEBHOOK_RECEIVER=true

step "starting Mailkeys on port $PORT"
PORT="$PORT" target/debug/mailkeys-local &
server_pid=$!
for _ in $(seq 1 100); do
  if curl -sf -o /dev/null "http://127.0.0.1:$PORT/health"; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { echo "mailkeys-local did not start" >&2; exit 1; }
  sleep 0.1
done
curl -sf -o /dev/null "http://127.0.0.1:$PORT/health" || { echo "mailkeys-local does not answer /health" >&2; exit 1; }

umask 077
mkdir -p "$state"
printf '%s\n' "$admin_key" > "$state/admin-key.new" && mv "$state/admin-key.new" "$state/admin-key"
cat > "$state/env.new" <<ENV
export MAILKEYS_URL=http://127.0.0.1:$PORT
export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL
export AWS_ENDPOINT_URL_DYNAMODB=$AWS_ENDPOINT_URL_DYNAMODB
export AWS_ENDPOINT_URL_DYNAMODB_STREAMS=$AWS_ENDPOINT_URL_DYNAMODB_STREAMS
export AWS_REGION=$AWS_REGION
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export MAILKEYS_TABLE=$MAILKEYS_TABLE
export MAILKEYS_AUDIT_TABLE=$MAILKEYS_AUDIT_TABLE
export MAILKEYS_KMS_KEY_ID=$MAILKEYS_KMS_KEY_ID
export MAILKEYS_STAGE=$MAILKEYS_STAGE
export MAILKEYS_ACCOUNT_ID=$MAILKEYS_ACCOUNT_ID
export MAILKEYS_ALLOW_PRIVATE_HOSTS=$MAILKEYS_ALLOW_PRIVATE_HOSTS
export MAILKEYS_GITHUB_SCANNING_KEYS_URL=$MAILKEYS_GITHUB_SCANNING_KEYS_URL
export MAILKEYS_WEBHOOK_QUEUE_URL=$MAILKEYS_WEBHOOK_QUEUE_URL
${MAILKEYS_EXTRA_CA_FILE:+export MAILKEYS_EXTRA_CA_FILE=$MAILKEYS_EXTRA_CA_FILE}
ENV
mv "$state/env.new" "$state/env"

cat <<MSG

Mailkeys is running on http://127.0.0.1:$PORT
Local AWS: DynamoDB Local at $AWS_ENDPOINT_URL_DYNAMODB, moto (KMS, SES) at $AWS_ENDPOINT_URL
Account:   $MAILKEYS_ACCOUNT_ID
Admin key: $admin_key   (also in $state/admin-key; environment in $state/env)
Console:   http://127.0.0.1:$PORT/console/   (sign in with the admin key)

Try:
  curl -s http://127.0.0.1:$PORT/api/email-providers -H "Authorization: Bearer \$(cat $state/admin-key)"

Ctrl-C stops the server and the local AWS.
MSG
wait "$server_pid"
