"""`make bench`: cold starts of every route function and of the bare SDK
Lambda (bench/src/bin/bare-sdk-lambda.rs), interleaved in one run, through
a minimal Lambda Runtime API on loopback, against a fresh `make dev` (run
by scripts/with-dev.sh). Prints, per function: init, first-invoke and warm
p50, peak RSS, init as a ratio of the bare Lambda's, and the binary's size.

Timings are for reading, not for asserting: CI machines are noisy. `make
bench` then prints the AWS round trips and KMS calls per request, which
`make test` asserts (tests/api/round_trips.rs).
"""

import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "scripts"))
os.environ.setdefault("MAILKEYS_INVOKE_PORT", "0")  # invoke_events reads it; unused here
import invoke_events  # noqa: E402  (the same fixtures and events as CI's invocations)

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
WARM = int(os.environ.get("BENCH_WARM", "10"))
RELEASE = os.path.join(os.path.dirname(__file__), "..", "target", "release")
BARE = "bare-sdk-lambda"
# Functions whose sample event changes state (a second create is refused,
# a delete finds nothing): timed all the same, their answers not checked.


class Run:
    """One cold start: the events to hand out and when things happened."""

    def __init__(self, event, count):
        self.events = [event] * count
        self.handed = []  # when each event left
        self.done = []  # when each answer came
        self.first_next = None
        self.finished = threading.Event()
        self.error = None


class RuntimeApi(http.server.BaseHTTPRequestHandler):
    """The Lambda Runtime API, as far as a function needs it. Each cold start
    has a server of its own (`run` set on a subclass), so a stopped process's
    last request can never take an event of the next one."""

    run = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without this, delayed
        # ACKs would add ~40 ms to every invocation.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        run = type(self).run
        now = time.perf_counter()
        if run.first_next is None:
            run.first_next = now
        if not self.path.endswith("/runtime/invocation/next") or not run.events:
            # Nothing more to hand out: the process is about to be stopped.
            time.sleep(30)
            return
        body = run.events.pop(0).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Lambda-Runtime-Aws-Request-Id", str(uuid.uuid4()))
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:eu-west-1:123456789012:function:bench")
        self.end_headers()
        run.handed.append(time.perf_counter())
        self.wfile.write(body)

    def do_POST(self):
        run = type(self).run
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        if self.path.endswith("/error"):
            run.error = self.path
        if self.path.endswith("/init/error"):
            run.finished.set()
        else:
            run.done.append(time.perf_counter())
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if len(run.done) == len(run.handed) and not run.events:
            run.finished.set()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a request left waiting for a stopped process is not waited for

    def handle_error(self, request, client_address):
        pass  # a stopped process's connection resets: expected


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def cold_start(binary, event):
    run = Run(event, 1 + WARM)
    server = Server(("127.0.0.1", 0), type("Api", (RuntimeApi,), {"run": run}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    env = dict(os.environ, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME="bench",
               AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
               AWS_LAMBDA_LOG_STREAM_NAME="bench", AWS_LAMBDA_LOG_GROUP_NAME="bench", MAILKEYS_LOG="error")
    started = time.perf_counter()
    quiet = None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL
    process = subprocess.Popen([binary], env=env, stdout=quiet, stderr=quiet)
    try:
        if not run.finished.wait(60):
            raise RuntimeError(f"{os.path.basename(binary)} answered {len(run.done)} of {len(run.handed)} events")
        rss = peak_rss_kib(process.pid)
    finally:
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()
    durations = [done - handed for handed, done in zip(run.handed, run.done)]
    return {"init": run.first_next - started, "first": durations[0],
            "warm": statistics.median(durations[1:]) if WARM else 0.0, "rss": rss, "error": run.error}


def main():
    functions = sorted(name[:-3] for name in os.listdir("functions/src/bin")
                       if name.endswith(".rs") and name not in ("audit-stream-consumer.rs",))
    missing = [f for f in functions + [BARE] if not os.path.exists(os.path.join(RELEASE, f))]
    if missing:
        print(f"missing release binaries: {missing}; run make bench (it builds them)", file=sys.stderr)
        return 1
    key_ids, mail_key, internal_key, credential = invoke_events.fixtures()
    provider = invoke_events.email_provider()
    events = {f: invoke_events.event_for(f, key_ids, mail_key, internal_key, credential, provider_id=provider)
              for f in functions}
    events[BARE] = open("events/email-providers-list.json").read()

    results = {f: [] for f in functions + [BARE]}
    print(f"==> {RUNS} cold starts of {len(functions) + 1} binaries, interleaved, {WARM} warm invocations each",
          file=sys.stderr)
    for n in range(RUNS):
        for function in [BARE] + functions:
            results[function].append(cold_start(os.path.join(RELEASE, function), events[function]))
        print(f"  run {n + 1}/{RUNS}", file=sys.stderr)

    p50 = lambda f, key: statistics.median(r[key] for r in results[f]) * 1000
    bare_init = p50(BARE, "init")
    print(f"\n{'function':32} {'init p50':>9} {'÷ bare':>7} {'1st inv':>8} {'warm p50':>9} {'peak RSS':>9} {'size':>8}")
    for function in [BARE] + functions:
        size = os.path.getsize(os.path.join(RELEASE, function)) / 1e6
        rss = max(r["rss"] for r in results[function]) / 1024
        errors = sum(1 for r in results[function] if r["error"])
        print(f"{function:32} {p50(function, 'init'):7.2f}ms {p50(function, 'init') / bare_init:6.2f}× "
              f"{p50(function, 'first'):6.2f}ms {p50(function, 'warm'):7.2f}ms {rss:6.1f} MB {size:6.2f}MB"
              + (f"  ({errors} runtime errors)" if errors else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
