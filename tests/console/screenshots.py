"""`make screenshots`: every console page in the browser the tests use,
against a fresh `make dev` with sample data, into docs/console/."""
import os
import sys

from selenium.webdriver.common.by import By

from browser import chromium
from conftest import ACCOUNT_ID, BASE, Console, call

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "console")


def sample_data():
    providers = [
        {"name": "Production SES", "provider_type": "ses", "region": "eu-west-1",
         "ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
        {"name": "Scaleway TEM", "provider_type": "scaleway", "region": "fr-par",
         "scaleway_credentials": {"api_key": "scw-example-key", "project_id": "6f1c7e1a-0b5e-4a55-9a7c-1e2f3a4b5c6d"}},
        {"name": "Office relay", "provider_type": "smtp", "region": "eu-west-1",
         "smtp_credentials": {"host": "127.0.0.1", "port": 2, "username": "relay@example.com",
                              "password": "example-password", "encryption": "starttls"}},
    ]
    ids = [call("POST", "/api/email-providers", p)[1]["id"] for p in providers]
    call("POST", f"/api/email-providers/{ids[2]}/test")  # fails at connect: shows a last test
    call("POST", f"/api/accounts/{ACCOUNT_ID}/provider-credentials", {
        "provider_kind": "imap", "host": "imap.example.com", "port": 993, "security_mode": "ssl_tls",
        "auth_kind": "password", "username": "support@example.com", "password": "example-password"})
    call("POST", f"/api/accounts/{ACCOUNT_ID}/provider-credentials", {
        "provider_kind": "smtp", "host": "smtp.example.com", "port": 587, "security_mode": "starttls",
        "auth_kind": "password", "username": "billing@example.com", "password": "example-password"})
    call("POST", "/api/email/api-keys", {"name": "Dashboard", "permissions": ["EmailProvidersRead", "read"], "expiresIn": 90})
    # Key controls: a key bound to networks, used, then rotated keeping the
    # old one a day (the pair shows together); docs/api/key-controls.md.
    status, worker = call("POST", "/api/email/api-keys", {"name": "Queue worker", "permissions": ["send"],
                                                           "allowedCidrs": ["127.0.0.0/8", "203.0.113.0/24"]})
    call("GET", "/api/whoami", key=worker["data"]["key"])
    call("POST", f"/api/email/api-keys/{worker['data']['id']}/rotate", {"keepOldForSeconds": 86400})
    status, thunderbird = call("POST", "/api/smtp-credentials", {"name": "Thunderbird", "scopes": ["smtp", "imap"]})
    call("POST", f"/api/smtp-credentials/{thunderbird['id']}/rotate", {"keepOldForSeconds": 3600})
    # A key found in public: the key pages' notice (docs/api/exposure.md).
    status, leaked = call("POST", "/api/smtp-credentials", {"name": "Pasted in a forum", "scopes": ["imap"]})
    call("POST", "/api/public/keys/revoke", {"credentials": [leaked["apiKey"]]}, key=None)
    call("POST", "/api/smtp-credentials/mobile", {"name": "iPhone 15", "platform": "ios", "deviceId": "device-identifier"})
    # Webhooks: one told everything (make dev's own receiver), one that only
    # hears of exposures and is turned off; docs/api/webhooks.md.
    status, hook = call("POST", "/api/webhooks", {"url": f"{BASE}/dev/webhook-receiver", "events": ["*"],
                                                  "description": "Security alerts"})
    call("POST", f"/api/webhooks/{hook['id']}/test")
    status, paused = call("POST", "/api/webhooks", {"url": "https://hooks.example.com/mailkeys",
                                                    "events": ["api_key.exposed", "smtp_credential.exposed"],
                                                    "description": "Pager"})
    call("PATCH", f"/api/webhooks/{paused['id']}", {"enabled": False})
    return ids


def shoot(console, name):
    path = os.path.join(OUT, f"{name}.png")
    console.driver.save_screenshot(path)
    print(f"  {os.path.relpath(path)}", file=sys.stderr)


def main():
    os.makedirs(OUT, exist_ok=True)
    print("==> sample data", file=sys.stderr)
    ids = sample_data()
    print("==> screenshots", file=sys.stderr)
    console = Console(chromium(1280, 820))
    try:
        console.open()
        shoot(console, "sign-in")
        console.sign_in()
        for page in ["providers", "credentials", "api-keys", "smtp", "webhooks", "audit"]:
            console.go(page)
            shoot(console, page)
        console.go("providers")
        console.button("Edit Office relay").click()
        dialog = console.wait.until(lambda d: next(
            (x for x in d.find_elements(By.CSS_SELECTOR, "dialog[open]") if x.find_elements(By.TAG_NAME, "form")), None))
        host = console.field("Host", dialog)
        host.clear()
        host.send_keys("smtp.example.net")
        console.driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", console.field_row("Password", dialog))
        shoot(console, "edit-dialog")
        console.button("Cancel", dialog).click()
        console.driver.set_window_size(360, 780)
        console.go("providers")
        shoot(console, "providers-360px")
    finally:
        console.driver.quit()
    return 0 if ids else 1


if __name__ == "__main__":
    sys.exit(main())
