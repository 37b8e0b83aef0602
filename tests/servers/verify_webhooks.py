"""Verifies webhook deliveries with the Standard Webhooks reference library
(`standardwebhooks` from PyPI), which no one here wrote.

Reads a JSON list of {"secret", "headers", "body"} on stdin; prints a JSON
list of {"ok", "payload", "error"}, one per delivery, in order.
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

results = []
for delivery in json.load(sys.stdin):
    try:
        payload = Webhook(delivery["secret"]).verify(delivery["body"], delivery["headers"])
        results.append({"ok": True, "payload": payload, "error": None})
    except WebhookVerificationError as err:
        results.append({"ok": False, "payload": None, "error": str(err)})
json.dump(results, sys.stdout)
