#!/usr/bin/env bash
# The console's browser tests and screenshots: Debian's Chromium and
# ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver), and Selenium in
# .local/browser-venv, driving them over WebDriver.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
  scripts/apt-install.sh "the console's browser tests" chromium chromium-driver
fi
exec scripts/venv.sh browser-venv selenium==4.27.1 pytest==8.3.4
