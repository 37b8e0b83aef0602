#!/usr/bin/env bash
# Installs the real mail servers the connectivity tests run on loopback:
# Debian's dovecot-imapd (IMAP). aiosmtpd (SMTP) comes with the emulator venv.
set -euo pipefail
if command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "dovecot-imapd is needed for the IMAP tests: sudo apt-get install dovecot-imapd" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq dovecot-imapd >/dev/null
