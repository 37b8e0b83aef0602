#!/usr/bin/env bash
# Installs the real mail servers the tests run on loopback: Debian's
# Dovecot with IMAP (the connectivity tests), POP3 and submission (the mail
# logins through mailkeys-checkpassword). aiosmtpd (SMTP) comes with the
# emulator venv.
set -euo pipefail
missing=()
for pair in dovecot-imapd:imap dovecot-pop3d:pop3 dovecot-submissiond:submission; do
  [ -x "/usr/lib/dovecot/${pair#*:}" ] || missing+=("${pair%%:*}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
exec "$(dirname "$0")/apt-install.sh" "the mail server tests" "${missing[@]}"
