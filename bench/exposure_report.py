"""`make bench`: how long GitHub waits for our answer to a report of 1,000
tokens, 100 of them our active keys (GitHub gives up after 30 s; the aim
here is under 2 s), against a fresh `make dev` (scripts/with-dev.sh) and its
stand-in for GitHub's keys (mailkeys-admin send-github-report signs the
report as GitHub does). Of the other 900, half look like ours (prefix and
checksum pass, so they are read) and half do not. Then the same report
again: nothing left to revoke. The time includes starting the sender
(a few milliseconds). Printed for reading; `make test` asserts the round
trips (tests/api/exposure.rs)."""

import json
import os
import secrets
import subprocess
import time
import zlib

ADMIN = "target/debug/mailkeys-admin"
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58(data):
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = ALPHABET[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def lookalike():
    """A key of our shape that was never made: read, and not found."""
    body = secrets.token_bytes(32)
    return "pk_test_" + base58(body + zlib.crc32(body).to_bytes(4, "big"))


def main():
    account = os.environ["MAILKEYS_ACCOUNT_ID"]
    print("==> a GitHub secret scanning report of 1,000 tokens, 100 of them active keys (make dev)", flush=True)
    ours = []
    for _ in range(100):
        created = subprocess.run([ADMIN, "create-key", "--account", account, "--permissions", "send"],
                                 capture_output=True, check=True, text=True)
        ours.append(json.loads(created.stdout)["api_key"])
    tokens = ours + [lookalike() if n % 2 == 0 else f"ghp_not_ours_{n}" for n in range(900)]
    report = json.dumps([{"token": t, "type": "mailkeys_api_key", "source": "content",
                          "url": f"https://github.com/octo-org/octo-repo/blob/main/file{n}.env"} for n, t in enumerate(tokens)])
    key_file = os.path.join(os.environ["MAILKEYS_DEV_STATE"], "github-scanning-key.pem")
    for what in ["first report (100 revocations)", "the same report again (nothing to revoke)"]:
        started = time.perf_counter()
        sent = subprocess.run([ADMIN, "send-github-report", "--url", os.environ["MAILKEYS_URL"], "--key-file", key_file],
                              input=report, capture_output=True, check=True, text=True)
        elapsed = (time.perf_counter() - started) * 1000
        labels = json.loads(sent.stdout)
        positives = sum(1 for label in labels if label["label"] == "true_positive")
        print(f"  {what:45} {elapsed:8.1f} ms  ({positives} true positives of {len(labels)})")


if __name__ == "__main__":
    main()
