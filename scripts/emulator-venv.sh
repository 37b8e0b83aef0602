#!/usr/bin/env bash
# The local AWS emulator (moto) and the SMTP test server (aiosmtpd), in .local/venv.
exec "$(dirname "$0")/venv.sh" venv 'moto[server]==5.2.5' aiosmtpd==1.4.6
