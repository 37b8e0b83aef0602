#!/usr/bin/env bash
# make bench's mail logins: `make mail` beside the fresh `make dev` that
# scripts/with-dev.sh started, then bench/mail_logins.py against both.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${MAILKEYS_URL:-}" ] || exec scripts/with-dev.sh "$0"
# The release build of the adapter (make bench builds it), as deployed.
export MAILKEYS_CHECKPASSWORD="$PWD/target/release/mailkeys-checkpassword"
[ -x "$MAILKEYS_CHECKPASSWORD" ] || { echo "no $MAILKEYS_CHECKPASSWORD: run make bench" >&2; exit 1; }
setsid scripts/mail.sh > "$MAILKEYS_DEV_STATE/mail.log" 2>&1 &
mail_pid=$!
trap 'kill -TERM -- -"$mail_pid" 2>/dev/null || true; wait "$mail_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  [ -f .local/mail-env ] && break
  kill -0 "$mail_pid" 2>/dev/null || { cat "$MAILKEYS_DEV_STATE/mail.log"; exit 1; }
  sleep 0.2
done
# shellcheck disable=SC1091
source .local/mail-env
export MAIL_IMAP_PORT
source "$MAILKEYS_DEV_STATE/env"
python3 bench/mail_logins.py
