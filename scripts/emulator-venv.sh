#!/usr/bin/env bash
# The local AWS emulator (moto), the SMTP test server (aiosmtpd) and the
# webhook verifier the tests check deliveries with (standardwebhooks), in .local/venv.
exec "$(dirname "$0")/venv.sh" venv 'moto[server]==5.2.5' aiosmtpd==1.4.6 standardwebhooks==1.3.0
