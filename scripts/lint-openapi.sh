#!/usr/bin/env bash
# Lints infra/openapi.json with Redocly CLI (pinned; its recommended rules),
# installed from the npm registry into .local/redocly the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.77.0
dir=.local/redocly
if [ "$(cat "$dir/.installed" 2>/dev/null)" != "$version" ]; then
  echo "==> installing Redocly CLI $version (npm registry, first time only)" >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --silent "@redocly/cli@$version" >&2
  echo "$version" > "$dir/.installed"
fi
"$dir/node_modules/.bin/redocly" lint --format stylish infra/openapi.json
