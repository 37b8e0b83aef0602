#!/usr/bin/env bash
# `make mail`, beside a running `make dev`: Dovecot with IMAP, POP3 and
# submission (each offering STARTTLS with a self-signed certificate) whose
# logins mailkeys-checkpassword checks against that `make dev` with a
# platform service key of its own (revoked when it stops), Maildirs under
# .local/mail/<account>, and a relay sink writing each submitted message as
# one .eml file into .local/mail/outbox/. Writes .local/mail-env once the
# servers answer. Ctrl-C stops it all.
# Ports: free ones, or MAIL_IMAP_PORT / MAIL_POP3_PORT / MAIL_SUBMISSION_PORT.
# The adapter: target/debug/mailkeys-checkpassword, or MAILKEYS_CHECKPASSWORD.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dev_state="${MAILKEYS_DEV_STATE:-.local}"
fail() { echo "$*" >&2; exit 2; }

[ -f "$dev_state/env" ] || fail "no running make dev (no $dev_state/env): start make dev in another terminal first"
# shellcheck disable=SC1091
source "$dev_state/env"
curl -sf -o /dev/null "$MAILKEYS_URL/health" \
  || fail "make dev does not answer at $MAILKEYS_URL/health: start make dev in another terminal first"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
check_port() {
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null \
    || fail "port $1 is already in use: stop what holds it or choose another ($2=...)"
}
imap_port=${MAIL_IMAP_PORT:-$(free_port)}; check_port "$imap_port" MAIL_IMAP_PORT
pop3_port=${MAIL_POP3_PORT:-$(free_port)}; check_port "$pop3_port" MAIL_POP3_PORT
submission_port=${MAIL_SUBMISSION_PORT:-$(free_port)}; check_port "$submission_port" MAIL_SUBMISSION_PORT
sink_port=$(free_port)

scripts/test-servers.sh
cargo build -q -p mailkeys-tools --bins

run="$root/.local/mail/run.$$"
mkdir -p "$run" "$root/.local/mail/outbox"
pids=""
service_key_id=""
cleanup() {
  # shellcheck disable=SC2086
  [ -n "$pids" ] && kill $pids 2>/dev/null
  wait 2>/dev/null || true
  if [ -n "$service_key_id" ]; then
    target/debug/mailkeys-admin revoke-service-key --id "$service_key_id" >/dev/null 2>&1 \
      || echo "could not revoke the service key $service_key_id: mailkeys-admin revoke-service-key --id $service_key_id" >&2
  fi
  rm -rf "$run" "$root/.local/mail-env"
}
trap cleanup EXIT INT TERM

echo "==> a platform service key for the mail servers" >&2
created=$(target/debug/mailkeys-admin create-service-key --name "make mail $(date +%s)")
service_key_id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
umask 077
printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])' > "$run/service-key"
umask 022
chmod 644 "$run/service-key"   # the auth process runs as Dovecot's own user

echo "==> a self-signed certificate for localhost" >&2
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$run/key.pem" -out "$run/cert.pem" 2>/dev/null
mkdir -p "$run/state" "$run/base"
chmod -R a+rwX "$root/.local/mail"

cat > "$run/dovecot.conf" <<CONF
base_dir = $run/base
state_dir = $run/state
log_path = $run/dovecot.log
protocols = imap pop3 submission
listen = 127.0.0.1
ssl = yes
ssl_cert = <$run/cert.pem
ssl_key = <$run/key.pem
# Plaintext LOGIN from loopback, as Dovecot's default treats it as secure.
disable_plaintext_auth = yes
auth_mechanisms = plain login
# No cache: a revoke or a rotation takes effect on the next login.
auth_cache_size = 0
auth_failure_delay = 0
import_environment = TZ MAILKEYS_URL=$MAILKEYS_URL MAILKEYS_SERVICE_KEY_FILE=$run/service-key
passdb {
  driver = checkpassword
  args = ${MAILKEYS_CHECKPASSWORD:-$root/target/debug/mailkeys-checkpassword}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=$root/.local/mail/%u
}
mail_location = maildir:$root/.local/mail/%u/Maildir
hostname = localhost
submission_relay_host = 127.0.0.1
submission_relay_port = $sink_port
service imap-login {
  inet_listener imap {
    port = $imap_port
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = $pop3_port
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = $submission_port
  }
}
CONF

echo "==> starting the relay sink and Dovecot" >&2
.local/venv/bin/python scripts/mail_sink.py "$sink_port" "$root/.local/mail/outbox" > "$run/sink.log" 2>&1 &
pids="$!"
dovecot=/usr/sbin/dovecot; [ -x "$dovecot" ] || dovecot=dovecot
"$dovecot" -F -c "$run/dovecot.conf" > "$run/dovecot.out" 2>&1 &
pids="$pids $!"
for _ in $(seq 1 100); do
  up=1
  for port in "$imap_port" "$pop3_port" "$submission_port" "$sink_port"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || up=0
  done
  [ "$up" = 1 ] && break
  for pid in $pids; do
    kill -0 "$pid" 2>/dev/null || { cat "$run/dovecot.out" "$run/dovecot.log" "$run/sink.log" >&2 2>/dev/null; fail "Dovecot or the relay sink did not start (their output is above)"; }
  done
  sleep 0.1
done
[ "$up" = 1 ] || fail "the mail servers did not answer on their ports"

cat > "$root/.local/mail-env" <<ENV
export MAIL_IMAP_PORT=$imap_port
export MAIL_POP3_PORT=$pop3_port
export MAIL_SUBMISSION_PORT=$submission_port
export MAIL_OUTBOX=$root/.local/mail/outbox
ENV

cat <<MSG

Mail servers on 127.0.0.1, logins checked by Mailkeys at $MAILKEYS_URL:
  IMAP        $imap_port (STARTTLS)
  POP3        $pop3_port (STARTTLS)
  submission  $submission_port (STARTTLS); relayed mail goes to $root/.local/mail/outbox/
User name: the account id ($MAILKEYS_ACCOUNT_ID); password: an SMTP credential's key with the protocol's scope.
Ports also in .local/mail-env. For example:
  python3 -c 'import imaplib; c = imaplib.IMAP4("127.0.0.1", $imap_port); c.starttls(); print(c.login("$MAILKEYS_ACCOUNT_ID", "rm_..."))'

Ctrl-C stops the mail servers (and revokes their service key).
MSG
wait
