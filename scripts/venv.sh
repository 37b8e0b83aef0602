#!/usr/bin/env bash
# Usage: scripts/venv.sh NAME PACKAGE==VERSION...
# Makes .local/NAME a Python venv holding exactly these pinned packages,
# installing only when the pins changed since the last time.
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1
shift
venv=".local/$name"
wanted="$*"
if [ -f "$venv/.installed" ] && [ "$(cat "$venv/.installed")" = "$wanted" ]; then
  exit 0
fi
mkdir -p .local
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "$@"
echo "$wanted" > "$venv/.installed"
