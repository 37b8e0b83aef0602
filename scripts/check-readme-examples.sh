#!/usr/bin/env bash
# Runs the curl and `mailkeys` examples of docs/ and of the README, as
# printed (but for the port and the state folder, which are the fresh
# `make dev`'s own), and fails
# when one of them fails, answers an error body or prints an error. The
# pages run in the order below (an id one page creates is used by the
# next); a page not named here runs after them, the README last. They run
# within a minute on one account, so together they create at most 10 keys
# (the create limit): an example that needs a key reuses one made before.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${MAILKEYS_URL:-}" ] || exec scripts/with-dev.sh "$0"

examples=$(mktemp -d)
python3 - "$examples" "$MAILKEYS_URL" "$MAILKEYS_DEV_STATE" <<'PY'
import re, sys, pathlib
ordered = ["docs/api/conventions.md", "docs/api/email-providers.md", "docs/api/api-keys.md",
           "docs/api/smtp-credentials.md", "docs/api/key-controls.md", "docs/api/exposure.md", "docs/api/internal.md", "docs/api/provider-credentials.md",
           "docs/api/connectivity.md", "docs/api/webhooks.md", "docs/api/audit.md", "docs/cli.md"]
others = sorted(str(p) for p in pathlib.Path("docs").rglob("*.md") if str(p) not in ordered)
pages = ordered + others + ["README.md"]
n = 0
cli = re.compile(r"(^|[|(]\s*)mailkeys ", re.M)
for page in pages:
    for block in re.findall(r"```sh\n(.*?)```", pathlib.Path(page).read_text(), re.S):
        if ("curl " in block and "127.0.0.1:8080" in block) or cli.search(block):
            n += 1
            # This instance's port and state, where a reader's make dev has .local/.
            block = block.replace("http://127.0.0.1:8080", sys.argv[2])
            for name in ("admin-key", "env", "github-scanning-key.pem"):
                block = block.replace(f".local/{name}", f"{sys.argv[3]}/{name}")
            pathlib.Path(sys.argv[1], f"{n:03}.sh").write_text(block)
            pathlib.Path(sys.argv[1], f"{n:03}.page").write_text(page)
print(f"{n} examples from {len(pages)} pages", file=sys.stderr)
PY

# One shell for all examples, in order, so that an id captured by one
# example is there for the next, as for a reader typing them.
KEY=$MAILKEYS_ADMIN_KEY
failed=0
set +eu  # the examples run as a reader's shell would run them
for example in "$examples"/*.sh; do
  out="$examples/$(basename "$example" .sh).out"
  page=$(cat "${example%.sh}.page")
  if ! source "$example" > "$out" 2>&1; then
    echo "example $(basename "$example" .sh) of $page failed to run"; failed=1; continue
  fi
  if grep -q '"success":false\|^error: ' "$out"; then
    echo "example $(basename "$example" .sh) of $page answered an error: $(grep -o '"message":"[^"]*"\|^error: .*' "$out")"; failed=1
  fi
done
rm -rf "$examples"
[ "$failed" = 0 ] && echo "README and docs examples: all passed"
exit "$failed"
