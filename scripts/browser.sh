#!/usr/bin/env bash
# The console's browser tests and screenshots: Debian's Chromium and
# ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver), and Selenium in
# .local/browser-venv, driving them over WebDriver.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium is needed for the console's browser tests: sudo apt-get install chromium chromium-driver" >&2
    exit 1
  fi
  echo "==> installing Chromium and ChromeDriver (Debian packages, first time only)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver >/dev/null
fi
exec scripts/venv.sh browser-venv selenium==4.27.1 pytest==8.3.4
