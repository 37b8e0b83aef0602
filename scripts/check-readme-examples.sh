#!/usr/bin/env bash
# Runs the README's curl and `mailkeys` examples, as printed (but for the
# port, which is the fresh `make dev`'s own), and fails when one of them
# fails, answers an error body or prints an error.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -n "${MAILKEYS_URL:-}" ] || exec scripts/with-dev.sh "$0"

examples=$(mktemp -d)
python3 - "$examples" "$MAILKEYS_URL" <<'PY'
import re, sys, pathlib
readme = pathlib.Path("README.md").read_text()
blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
n = 0
cli = re.compile(r"(^|[|(]\s*)mailkeys ", re.M)
for block in blocks:
    if ("curl " in block and "127.0.0.1:8080" in block) or cli.search(block):
        n += 1
        pathlib.Path(sys.argv[1], f"{n:02}.sh").write_text(block.replace("http://127.0.0.1:8080", sys.argv[2]))
print(f"{n} README examples", file=sys.stderr)
PY

# One shell for all examples, in order, so that an id captured by one
# example is there for the next, as for a reader typing them.
KEY=$MAILKEYS_ADMIN_KEY
failed=0
set +eu  # the examples run as a reader's shell would run them
for example in "$examples"/*.sh; do
  out="$examples/$(basename "$example" .sh).out"
  if ! source "$example" > "$out" 2>&1; then
    echo "README example $(basename "$example") failed to run"; failed=1; continue
  fi
  if grep -q '"success":false\|^error: ' "$out"; then
    echo "README example $(basename "$example") answered an error: $(grep -o '"message":"[^"]*"\|^error: .*' "$out")"; failed=1
  fi
done
rm -rf "$examples"
[ "$failed" = 0 ] && echo "README examples: all passed"
exit "$failed"
