#!/usr/bin/env bash
# Installs the local AWS emulator (moto's server) into .local/venv, once.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_SPEC='moto[server]==5.2.5 aiosmtpd==1.4.6'
venv=.local/venv
stamp="$venv/.installed"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$MOTO_SPEC" ]; then
  exit 0
fi
mkdir -p .local
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check $MOTO_SPEC
echo "$MOTO_SPEC" > "$stamp"
