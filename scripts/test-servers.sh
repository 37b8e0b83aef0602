#!/usr/bin/env bash
# Installs the real mail servers the connectivity tests run on loopback:
# Debian's dovecot-imapd (IMAP). aiosmtpd (SMTP) comes with the emulator venv.
set -euo pipefail
if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
exec "$(dirname "$0")/apt-install.sh" "the IMAP connectivity tests" dovecot-imapd
