"""Invokes every function under `cargo lambda watch` with its sample event
and checks the status code and the body's shape (run by invoke-events.sh),
or, with `--only FUNCTION`, invokes that one and prints its answer (run by
`make invoke FN=...`).

The sample events hold placeholders for the key, the account and the ids;
this script creates what they name through the local server first and
substitutes the real values. When checking, it never prints a key or a
secret: on a mismatch it prints the field names and the error message only.
"""

import json
import os
import subprocess
import sys
import tempfile
import urllib.request

URL = os.environ["MAILKEYS_URL"]
ADMIN_KEY = os.environ["MAILKEYS_ADMIN_KEY"]
ACCOUNT = os.environ["MAILKEYS_ACCOUNT_ID"]
PORT = os.environ["MAILKEYS_INVOKE_PORT"]

# Placeholders in events/*.json.
KEY_PLACEHOLDER = "pk_test_REPLACE_WITH_YOUR_KEY"
MAIL_KEY_PLACEHOLDER = "rm_REPLACE_WITH_A_MAIL_KEY"
ACCOUNT_PLACEHOLDER = "acc_01jdx7m3k9q2w8e4r5t6y7u8i9"
KEY_ID_PLACEHOLDER = "key_01jdx7m3k9q2w8e4r5t6y7u8i9"
INTERNAL_KEY_PLACEHOLDER = "rm_REPLACE_WITH_AN_INTERNAL_KEY"
CREDENTIAL_ID_PLACEHOLDER = "pc_01jdx8a2b3c4d5e6f7g8h9j0k1"
WEBHOOK_ID_PLACEHOLDER = "wh_01jdx9c4d5e6f7g8h9j0k1m2n3"
# The fixtures' endpoint, which every webhooks-* event names.
WEBHOOK_FIXTURE = "webhooks-get"

# The sample events' provider is SES: its answers carry the SMTP relay fields.
PROVIDER = {"id", "name", "provider_type", "region", "is_active", "credentials", "created_at", "updated_at", "last_test",
            "smtp_host", "smtp_port", "smtp_username"}
OUTCOME = {"status", "stage", "message", "latency_ms", "tested_at"}
ENVELOPE = {"success", "data", "message"}
SMTP_KEY = {"id", "name", "createdAt", "lastUsedAt", "lastUsedFrom", "lastUsedFor", "isActive", "scopes", "expiresAt",
            "replacedBy", "allowedCidrs"}
API_KEY = {"id", "name", "key", "prefix", "permissions", "createdAt", "expiresAt", "allowedCidrs"}
CREDENTIAL = {
    "id", "account_id", "provider_kind", "host", "port", "security_mode", "auth_kind",
    "username_masked", "last_test", "created_at", "updated_at",
}
PAGE = {"items", "next_cursor"}
WEBHOOK = {"id", "url", "events", "description", "enabled", "disabled_reason", "failing_since", "created_at", "updated_at"}


def api(method, path, body=None):
    request = urllib.request.Request(
        URL + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {ADMIN_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def fixtures():
    """What the events name, made through the API: id -> value per function."""
    email_key = lambda name: api("POST", "/api/email/api-keys", {"name": name, "permissions": ["read"]})["data"]["id"]
    to_change, email_to_rotate = email_key("invoke: email key"), email_key("invoke: email key to rotate")
    smtp = lambda name: api("POST", "/api/smtp-credentials", {"name": name, "scopes": ["imap"]})
    to_rotate, to_revoke, to_verify = smtp("invoke: rotate"), smtp("invoke: revoke"), smtp("invoke: verify")
    to_update = smtp("invoke: update")
    # The account's mail servers check keys with an `internal` key.
    internal = api("POST", "/api/smtp-credentials", {"name": "invoke: mail servers", "scopes": ["internal"]})
    credential = api(
        "POST",
        f"/api/accounts/{ACCOUNT}/provider-credentials",
        {"provider_kind": "smtp", "host": "smtp.example.com", "port": 587, "security_mode": "starttls",
         "auth_kind": "password", "username": "invoke@example.com", "password": "invoke-password"},
    )["id"]
    # The webhooks-* events name this endpoint (a receiver that is not there:
    # the test event is answered, undelivered); one, made once, however
    # often `make invoke` runs (an account has at most 10).
    listed = [w for w in api("GET", "/api/webhooks?limit=100")["items"] if w["description"] == "invoke: fixture"]
    webhook = listed[0]["id"] if listed else api("POST", "/api/webhooks", {
        "url": "https://hooks.example.com/invoke", "events": ["*"], "description": "invoke: fixture"})["id"]
    return {
        WEBHOOK_FIXTURE: webhook,
        "api-keys-update": to_change,
        "api-keys-revoke": to_change,
        "api-keys-rotate": email_to_rotate,
        "smtp-credentials-update": to_update["id"],
        "smtp-credentials-rotate": to_rotate["id"],
        "smtp-credentials-revoke": to_revoke["id"],
    }, to_verify["apiKey"], internal["apiKey"], credential


def email_provider():
    """A provider for the events that name provider 1, when it may be gone."""
    return api("POST", "/api/email-providers", {
        "name": "invoke: provider", "provider_type": "ses", "region": "eu-west-1",
        "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "invoke-secret"},
    })["id"]


def event_for(function, key_ids, mail_key, internal_key, credential, provider_id=None):
    """The function's sample event with the real key, account and ids."""
    text = open(f"events/{function}.json").read()
    text = (text.replace(KEY_PLACEHOLDER, ADMIN_KEY).replace(MAIL_KEY_PLACEHOLDER, mail_key)
            .replace(INTERNAL_KEY_PLACEHOLDER, internal_key)
            .replace(ACCOUNT_PLACEHOLDER, ACCOUNT).replace(CREDENTIAL_ID_PLACEHOLDER, credential))
    if function in key_ids:
        text = text.replace(KEY_ID_PLACEHOLDER, key_ids[function])
    # The dispatcher's message names an endpoint that is not there: dropped.
    if function.startswith("webhooks-") and function != "webhooks-dispatcher":
        text = text.replace(WEBHOOK_ID_PLACEHOLDER, key_ids.get(WEBHOOK_FIXTURE))
    if provider_id is not None and function.startswith("email-providers-"):
        text = text.replace('"/api/email-providers/1', f'"/api/email-providers/{provider_id}')
        text = text.replace('"id": "1"', f'"id": "{provider_id}"')
    return text


def keys_of(value):
    return set(value) if isinstance(value, dict) else None


# In order: each create comes before what uses it, each delete last.
# (function, status, check of the parsed body)
EXPECTED = [
    ("email-providers-create", 201, lambda b: keys_of(b) == PROVIDER and b["id"] == 1),
    ("email-providers-list", 200, lambda b: [keys_of(p) for p in b] == [PROVIDER]),
    ("email-providers-get", 200, lambda b: keys_of(b) == PROVIDER),
    ("email-providers-update", 200, lambda b: keys_of(b) == PROVIDER and b["name"] == "Production SES (EU)"),
    ("email-providers-test", 200, lambda b: keys_of(b) == OUTCOME and b["status"] in ("ok", "failed")),
    ("email-providers-delete", 204, lambda b: b is None),
    ("whoami", 200, lambda b: keys_of(b) == {"account_id", "key_id", "permissions", "allows", "grants"} and "admin" in b["permissions"]),
    ("api-keys-list", 200, lambda b: keys_of(b) == ENVELOPE and keys_of(b["data"]) == {"keys"}),
    ("api-keys-create", 201, lambda b: keys_of(b["data"]) == API_KEY),
    ("api-keys-update", 200, lambda b: keys_of(b["data"]) == {"id", "name", "permissions", "allowedCidrs", "updatedAt"}),
    ("api-keys-rotate", 201, lambda b: keys_of(b["data"]) == API_KEY | {"replaces", "oldKeyExpiresAt"}),
    ("api-keys-revoke", 200, lambda b: keys_of(b["data"]) == {"id", "revokedAt"} and b["data"]["revokedAt"]),
    ("smtp-credentials-get", 200, lambda b: keys_of(b) == {"connectionInfo", "keys"} and all(keys_of(k) == SMTP_KEY for k in b["keys"])),
    ("smtp-credentials-create", 201, lambda b: keys_of(b) == SMTP_KEY | {"apiKey"}),
    ("smtp-credentials-mobile", 201, lambda b: keys_of(b) == SMTP_KEY | {"apiKey", "platform", "deviceId"}),
    ("verify-key", 200, lambda b: keys_of(b) == {"valid", "accountId", "keyId", "scopes"} and b["valid"] is True),
    ("credentials-resolve", 200, lambda b: {"account_id", "resource_type", "resource_id", "version", "credentials", "smtp"} <= keys_of(b)
        and keys_of(b["credentials"]) == {"username", "password"}),
    ("smtp-credentials-update", 200, lambda b: keys_of(b) == SMTP_KEY and b["allowedCidrs"] == ["203.0.113.0/24"]),
    ("smtp-credentials-rotate", 200, lambda b: keys_of(b) == SMTP_KEY | {"apiKey", "replaces", "oldKeyExpiresAt"}),
    ("smtp-credentials-revoke", 204, lambda b: b is None),
    ("provider-credentials-create", 201, lambda b: keys_of(b) == CREDENTIAL),
    ("provider-credentials-list", 200, lambda b: keys_of(b) == PAGE and all(keys_of(c) == CREDENTIAL for c in b["items"])),
    ("provider-credentials-search", 200, lambda b: keys_of(b) == PAGE),
    ("provider-credentials-get", 200, lambda b: keys_of(b) == CREDENTIAL),
    ("provider-credentials-update", 200, lambda b: keys_of(b) == CREDENTIAL and b["port"] == 143),
    ("provider-credentials-rotate", 200, lambda b: keys_of(b) == CREDENTIAL),
    ("provider-credentials-test", 200, lambda b: keys_of(b) == OUTCOME),
    ("provider-credentials-delete", 204, lambda b: b is None),
    # The sample names GitHub's key but carries no signature: refused before
    # anything is fetched or read (tests/api/exposure.rs sends signed ones).
    ("secret-scanning-github", 401, lambda b: b["error"]["code"] == "UNAUTHORIZED"),
    ("keys-revoke-public", 202, lambda b: keys_of(b) == {"message"}),
    ("webhooks-create", 201, lambda b: keys_of(b) == WEBHOOK | {"secret"} and b["secret"].startswith("whsec_")),
    ("webhooks-list", 200, lambda b: keys_of(b) == PAGE and all(keys_of(w) == WEBHOOK for w in b["items"])),
    ("webhooks-get", 200, lambda b: keys_of(b) == WEBHOOK),
    ("webhooks-update", 200, lambda b: keys_of(b) == WEBHOOK and b["events"] == ["api_key.exposed", "smtp_credential.exposed"]),
    ("webhooks-rotate-secret", 200, lambda b: keys_of(b) == WEBHOOK | {"secret"}),
    ("webhooks-test", 200, lambda b: keys_of(b) == {"delivered", "status_code", "error"}),
    ("webhooks-deliveries", 200, lambda b: keys_of(b) == PAGE and len(b["items"]) >= 1),
    ("webhooks-delete", 204, lambda b: b is None),
    ("audit-events-list", 200, lambda b: keys_of(b) == {"events", "next_cursor"} and len(b["events"]) > 0),
]


def invoke(function, event_text):
    with tempfile.NamedTemporaryFile("w", suffix=".json") as event:
        event.write(event_text)
        event.flush()
        done = subprocess.run(
            ["cargo", "lambda", "invoke", "--invoke-address", "127.0.0.1", "--invoke-port", PORT,
             "--data-file", event.name, function],
            capture_output=True, text=True, timeout=120,
        )
    if done.returncode != 0:
        raise RuntimeError(f"cargo lambda invoke {function} failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def describe(body):
    """Field names and an error message, never values."""
    if isinstance(body, dict):
        return f"fields {sorted(body)}" + (f", error {body['error'].get('message')!r}" if isinstance(body.get("error"), dict) else "")
    return type(body).__name__


def invoke_one(function):
    """`make invoke FN=...`: the answer of one function, as Lambda gives it."""
    if not os.path.exists(f"events/{function}.json"):
        known = sorted(name[:-5] for name in os.listdir("events") if name.endswith(".json"))
        print(f"no sample event for {function!r}; one of: {', '.join(known)}", file=sys.stderr)
        return 2
    key_ids, mail_key, internal_key, credential = fixtures()
    text = event_for(function, key_ids, mail_key, internal_key, credential, provider_id=email_provider())
    print(json.dumps(invoke(function, text), indent=2))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--only":
        return invoke_one(sys.argv[2])
    key_ids, mail_key, internal_key, credential = fixtures()
    functions_dir = sorted(name[:-3] for name in os.listdir("functions/src/bin") if name.endswith(".rs"))
    covered = [f for f, _, _ in EXPECTED] + ["audit-stream-consumer", "console", "webhooks-dispatcher", "expiry-reminders"]
    if sorted(covered) != functions_dir:
        print(f"invoke_events.py and functions/src/bin disagree: {sorted(set(covered) ^ set(functions_dir))}")
        return 1

    failures = 0
    for function, status, check in EXPECTED:
        response = invoke(function, event_for(function, key_ids, mail_key, internal_key, credential))
        body = json.loads(response["body"]) if response.get("body") else None
        try:
            shaped = check(body)
        except (KeyError, TypeError):
            shaped = False
        ok = response.get("statusCode") == status and shaped
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {function}: {response.get('statusCode')} (expected {status})"
              + ("" if ok else f"; {describe(body)}"))

    # The stream consumer: a DynamoDB Streams batch, answered with the
    # records that failed (none in the sample).
    response = invoke("audit-stream-consumer", open("events/audit-stream-consumer.json").read())
    ok = response == {"batchItemFailures": []}
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} audit-stream-consumer: {response if not ok else 'no batch item failures'}")

    # The webhook dispatcher: an SQS batch whose message names an endpoint
    # that is not there (dropped: nothing to retry); the reminders: a
    # scheduled run, nothing due.
    response = invoke("webhooks-dispatcher", open("events/webhooks-dispatcher.json").read())
    ok = response == {"batchItemFailures": []}
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} webhooks-dispatcher: {response if not ok else 'no batch item failures'}")
    response = invoke("expiry-reminders", open("events/expiry-reminders.json").read())
    ok = response == {"reminders": 0}
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} expiry-reminders: {response}")

    # The console: its page, with the security headers.
    response = invoke("console", open("events/console.json").read())
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    ok = (response.get("statusCode") == 200 and "Mailkeys console" in (response.get("body") or "")
          and "frame-ancestors 'none'" in headers.get("content-security-policy", ""))
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} console: {response.get('statusCode')} (expected 200, the page and its CSP)")

    total = len(EXPECTED) + 4
    print(f"{total - failures} of {total} functions answered as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
