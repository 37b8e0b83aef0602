"""make bench: the login latency through Dovecot with Mailkeys (IMAP LOGIN
over STARTTLS-less loopback, as `make mail` serves it) beside the verify-key
call alone, p50 and p95 over BENCH_LOGINS (200) logins each, against the
fresh `make dev` that scripts/with-dev.sh started and the `make mail`
started beside it (MAIL_IMAP_PORT from .local/mail-env)."""

import imaplib
import json
import os
import statistics
import subprocess
import time
import urllib.request

N = int(os.environ.get("BENCH_LOGINS", "200"))
url, admin_key, account = os.environ["MAILKEYS_URL"], os.environ["MAILKEYS_ADMIN_KEY"], os.environ["MAILKEYS_ACCOUNT_ID"]
imap_port = int(os.environ["MAIL_IMAP_PORT"])


def call(path, body, key):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {key}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


key = call("/api/smtp-credentials", {"name": "bench", "scopes": ["imap"]}, admin_key)["apiKey"]
service = json.loads(subprocess.check_output(["target/debug/mailkeys-admin", "create-service-key", "--name", "bench"]))


def percentiles(samples):
    samples = sorted(samples)
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


logins = []
for _ in range(N):
    started = time.perf_counter()
    client = imaplib.IMAP4("127.0.0.1", imap_port)
    client.login(account, key)
    logins.append((time.perf_counter() - started) * 1000)
    client.logout()
checks = []
for _ in range(N):
    started = time.perf_counter()
    assert call("/api/internal/verify-key", {"apiKey": key, "protocol": "imap"}, service["api_key"])["valid"]
    checks.append((time.perf_counter() - started) * 1000)
# The adapter alone, as Dovecot runs it: credentials on fd 3, a reply
# program (`true`) run on success.
adapter = []
environment = dict(os.environ, SERVICE="imap", TCPREMOTEIP="127.0.0.1", MAILKEYS_SERVICE_KEY=service["api_key"])
for _ in range(N):
    read, write = os.pipe()
    os.write(write, f"{account}\0{key}\0".encode())
    os.close(write)
    started = time.perf_counter()
    code = subprocess.call([os.environ.get("MAILKEYS_CHECKPASSWORD", "target/debug/mailkeys-checkpassword"), "true"], pass_fds=(read,), env=environment,
                           preexec_fn=lambda: os.dup2(read, 3))
    adapter.append((time.perf_counter() - started) * 1000)
    os.close(read)
    assert code == 0, code
# What starting any process that way costs here (`true`).
spawn = []
for _ in range(N):
    read, write = os.pipe()
    os.close(write)
    started = time.perf_counter()
    subprocess.call(["true"], pass_fds=(read,), preexec_fn=lambda: os.dup2(read, 3))
    spawn.append((time.perf_counter() - started) * 1000)
    os.close(read)
subprocess.check_call(["target/debug/mailkeys-admin", "revoke-service-key", "--id", service["id"]], stdout=subprocess.DEVNULL)
(lp50, lp95), (cp50, cp95), (ap50, ap95) = percentiles(logins), percentiles(checks), percentiles(adapter)
sp50, _ = percentiles(spawn)
print(f"IMAP LOGIN through Dovecot + mailkeys-checkpassword: p50 {lp50:.1f} ms, p95 {lp95:.1f} ms ({N} logins, connect to logout)")
print(f"verify-key alone (HTTP, same key):                    p50 {cp50:.1f} ms, p95 {cp95:.1f} ms")
print(f"mailkeys-checkpassword alone (a process, as Dovecot): p50 {ap50:.1f} ms, p95 {ap95:.1f} ms")
print(f"starting a process that way (`true`):                 p50 {sp50:.1f} ms")
print(f"the adapter's own share (alone - key check - start):   p50 {ap50 - cp50 - sp50:.1f} ms")
