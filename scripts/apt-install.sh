#!/usr/bin/env bash
# Usage: scripts/apt-install.sh "WHAT IT IS FOR" PACKAGE...
# Installs Debian packages when run as root (as CI is); otherwise says which
# command to run, and fails.
set -euo pipefail
purpose=$1
shift
if [ "$(id -u)" != 0 ]; then
  echo "$purpose needs: sudo apt-get install $*" >&2
  exit 1
fi
echo "==> installing $* for $purpose (Debian packages, first time only)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "$@" >/dev/null
