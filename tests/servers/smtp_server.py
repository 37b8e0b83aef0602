"""A real SMTP server for the connectivity tests (aiosmtpd), on loopback.

Modes: plain (no TLS at all), starttls (STARTTLS required before AUTH),
implicit (TLS from the first byte). AUTH PLAIN/LOGIN checks --user and
--password; AUTH XOAUTH2 checks --user and --token. Runs until it is sent
SIGTERM (the test harness does so when its test process ends).
"""

import argparse
import base64
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--mode", choices=["plain", "starttls", "implicit"], required=True)
parser.add_argument("--cert", required=True)
parser.add_argument("--key", required=True)
parser.add_argument("--user", required=True)
parser.add_argument("--password", required=True)
parser.add_argument("--token", required=True)
parser.add_argument("--mailbox", required=True, help="file that received messages are appended to")
parser.add_argument("--auth-log", required=True, help="file that every AUTH attempt is appended to")
args = parser.parse_args()


def record_auth(mechanism, *values):
    with open(args.auth_log, "a") as log:
        log.write(" ".join([mechanism, *values]) + "\n")


class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(args.mailbox, "ab") as mailbox:
            mailbox.write(envelope.content + b"\r\n.\r\n")
        return "250 OK"

    async def auth_XOAUTH2(self, server, arguments):
        if len(arguments) < 2:
            return AuthResult(success=False, handled=False)
        try:
            fields = base64.b64decode(arguments[1]).decode().split("\x01")
        except Exception:
            return AuthResult(success=False, handled=False)
        record_auth("XOAUTH2", *fields)
        ok = f"user={args.user}" in fields and f"auth=Bearer {args.token}" in fields
        return AuthResult(success=ok, handled=False)


def authenticator(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword):
        record_auth(mechanism, auth_data.login.decode(errors="replace"), auth_data.password.decode(errors="replace"))
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == args.user
        and auth_data.password.decode() == args.password
    )
    return AuthResult(success=ok)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(args.cert, args.key)
options = dict(hostname="127.0.0.1", port=args.port, authenticator=authenticator, server_hostname="localhost")
if args.mode == "starttls":
    controller = Controller(Handler(), tls_context=context, require_starttls=True, auth_require_tls=True, **options)
elif args.mode == "implicit":
    controller = Controller(Handler(), ssl_context=context, auth_require_tls=False, **options)
else:
    controller = Controller(Handler(), auth_require_tls=False, **options)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
