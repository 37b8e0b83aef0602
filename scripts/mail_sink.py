"""The relay behind `make mail`'s submission service: every message Dovecot
relays is written as one .eml file into the outbox folder. Runs until it is
sent SIGTERM or SIGINT.

Usage: mail_sink.py PORT OUTBOX
"""

import pathlib
import signal
import sys
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

port, outbox = int(sys.argv[1]), pathlib.Path(sys.argv[2])
outbox.mkdir(parents=True, exist_ok=True)


class Outbox:
    async def handle_DATA(self, server, session, envelope):
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (outbox / name).write_bytes(envelope.original_content or envelope.content)
        return "250 OK: written to the outbox"


class RelaySMTP(SMTP):
    """Takes `AUTH=<>` on MAIL FROM, as a relay behind a submission server is sent it."""

    def _getparams(self, params):
        found = super()._getparams(params)
        if found is not None:
            found.pop("AUTH", None)
        return found


class RelayController(Controller):
    def factory(self):
        return RelaySMTP(self.handler, **self.SMTP_kwargs)


controller = RelayController(Outbox(), hostname="127.0.0.1", port=port)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
controller.start()
print("ready", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
