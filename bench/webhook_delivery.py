"""`make bench`: how long a change takes to reach a webhook receiver, and
how many deliveries a burst gets through, against a fresh `make dev`
(scripts/with-dev.sh), whose mailkeys-local tails the audit stream
(DynamoDB Local) and dispatches from the queue (moto's SQS) as the two
functions do in AWS. The receiver is a threaded HTTP server on loopback.

- delay: 100 renames of one email provider, one at a time; from sending the
  PATCH to the receiver getting its `email_provider.updated` (matched by the
  event's `data.version`). Printed as p50 and p95.
- burst: 200 renames as fast as 4 clients send them (each its own
  provider); deliveries per second from the first PATCH sent to the last
  delivery received.
Printed for reading; `make test` checks what is delivered, not how fast."""

import json
import os
import statistics
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

URL = os.environ["MAILKEYS_URL"]
KEY = os.environ["MAILKEYS_ADMIN_KEY"]
received = {}  # (provider id, version) -> time received
lock = threading.Lock()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if body["type"] == "email_provider.updated":
            with lock:
                key = (body["data"]["id"], body["data"]["version"])
                received.setdefault(key, time.perf_counter())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def api(method, path, body=None):
    request = urllib.request.Request(URL + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
        return json.loads(text) if text else None


def wait_for(keys, within=60):
    deadline = time.perf_counter() + within
    while time.perf_counter() < deadline:
        with lock:
            if all(k in received for k in keys):
                return True
        time.sleep(0.005)
    return False


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = api("POST", "/api/webhooks", {"url": f"http://127.0.0.1:{server.server_port}/hook",
                                         "events": ["email_provider.updated"], "description": "make bench"})
    providers = [str(api("POST", "/api/email-providers", {
        "name": f"bench {n}", "provider_type": "ses", "region": "eu-west-1",
        "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "bench-secret"}})["id"])
        for n in range(4)]
    path = f"/api/email-providers/{providers[0]}"
    version = 1
    print("==> webhook delivery: from a change to its receiver (make dev: stream tail + local queue)", flush=True)
    delays = []
    for n in range(100):
        version += 1
        sent = time.perf_counter()
        api("PATCH", path, {"name": f"renamed {n}"})
        if not wait_for([(providers[0], version)]):
            print(f"  change {n}: not delivered within 60 s; deliveries: {api('GET', '/api/webhooks/' + hook['id'] + '/deliveries')}")
            return 1
        delays.append(received[(providers[0], version)] - sent)
    delays.sort()
    p95 = delays[int(len(delays) * 0.95) - 1]
    print(f"  delay over 100 changes: p50 {statistics.median(delays) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {delays[-1] * 1000:.0f} ms")

    starts = {p: (version if p == providers[0] else 1) for p in providers}

    def client(provider):
        for n in range(50):
            api("PATCH", f"/api/email-providers/{provider}", {"name": f"burst {n}"})

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(client, providers))
    sent = time.perf_counter() - started
    keys = [(p, starts[p] + n) for p in providers for n in range(1, 51)]
    if not wait_for(keys, within=120):
        print("  burst: not every delivery arrived within 120 s")
        return 1
    elapsed = max(received[k] for k in keys) - started
    print(f"  burst of 200 changes from 4 clients: sent in {sent:.2f} s, all delivered {elapsed:.2f} s after the "
          f"first was sent: {200 / elapsed:.0f} deliveries/s")
    api("DELETE", f"/api/webhooks/{hook['id']}")
    server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
