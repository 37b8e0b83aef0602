#!/usr/bin/env bash
# schemathesis (PyPI, own venv) against a fresh `make dev`, driven by the
# OpenAPI document the server itself serves, as an admin: fails on any 5xx,
# any response the document does not allow, or any request the document
# forbids that the service accepts.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${MAILKEYS_URL:-}" ] || exec scripts/with-dev.sh "$0" "$@"

scripts/venv.sh schemathesis-venv schemathesis==4.32.5
# The account's mail-server key, for the internal route.
MAILKEYS_INTERNAL_KEY=$(curl -sf -X POST "$MAILKEYS_URL/api/smtp-credentials" \
  -H "Authorization: Bearer $MAILKEYS_ADMIN_KEY" -H "Content-Type: application/json" \
  -d '{"name": "schemathesis: mail servers", "scopes": ["internal"]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["apiKey"])')
export MAILKEYS_INTERNAL_KEY
.local/schemathesis-venv/bin/schemathesis --config-file tests/schemathesis/schemathesis.toml \
  run "$MAILKEYS_URL/openapi.json" --output-truncate true "$@"
