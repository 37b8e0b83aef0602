"""The console in a real Chromium against `make dev`: the Edit dialog's
rules (docs/api/email-providers.md), keys shown once, errors beside their field,
sign-out on 401, permissions, keyboard use, narrow screens, the headers."""
import json
import time
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import ACCOUNT_ID, BASE, call, routes_seen, unique

SMTP_PASSWORD = "smtp-password-for-the-console-test"


def create_provider(kind="smtp", **extra):
    blocks = {
        "smtp": {"smtp_credentials": {"host": "smtp.example.com", "port": 587, "username": "relay@example.com",
                                      "password": SMTP_PASSWORD, "encryption": "starttls"}},
        "ses": {"ses_credentials": {"access_key_id": "AKIAIOSFODNN7EXAMPLE",
                                    "secret_access_key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}},
        "scaleway": {"scaleway_credentials": {"api_key": "scw-secret-key", "project_id": "project-123"}},
    }
    body = {"name": unique("Console"), "provider_type": kind, "region": "eu-west-1", **blocks[kind], **extra}
    status, provider = call("POST", "/api/email-providers", body)
    assert status == 201, f"provider create answered {status}"
    return provider


def open_edit(console, provider):
    console.go("providers")
    console.button(f"Edit {provider['name']}").click()
    return console.wait.until(lambda d: next(
        (x for x in d.find_elements(By.CSS_SELECTOR, "dialog[open]") if x.find_elements(By.TAG_NAME, "form")), None))


def test_security_headers_and_cacheable_assets():
    with urllib.request.urlopen(f"{BASE}/console/") as response:
        headers = response.headers
        html = response.read().decode()
    csp = headers["Content-Security-Policy"]
    for rule in ["script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]:
        assert rule in csp, f"CSP lacks {rule}: {csp}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-cache", "the page itself is always revalidated"
    assert "<script>" not in html and "style=" not in html, "no inline script or style"
    asset = html.split('src="')[1].split('"')[0]
    assert asset.startswith("/console/assets/") and asset.endswith("/main.js"), asset
    with urllib.request.urlopen(BASE + asset) as response:
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["Content-Type"].startswith("text/javascript")
        assert response.headers["Content-Security-Policy"] == csp
    stale = asset.replace(asset.split("/")[3], "0000000000000000")
    try:
        urllib.request.urlopen(BASE + stale)
        raise AssertionError("an asset of another build was served")
    except urllib.error.HTTPError as error:
        assert error.code == 404


def test_sign_in_shows_the_account_and_keeps_the_key_for_the_tab_only(console):
    console.sign_in()
    who = console.driver.find_element(By.ID, "who").text
    assert ACCOUNT_ID in who and "admin" in who, "the account and the key's permissions are shown"
    storage = console.driver.execute_script(
        "return [localStorage.length, document.cookie, sessionStorage.getItem('mailkeys.key') !== null]")
    assert storage == [0, "", True], "the key is in sessionStorage only"
    # Every page loads without a script error or a CSP violation.
    for page in ["providers", "credentials", "api-keys", "smtp", "audit"]:
        console.go(page)
        assert not console.driver.find_elements(By.CSS_SELECTOR, "[role=alert].error"), f"{page} shows an error"
    severe = [e for e in console.driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, f"browser errors: {[e['message'][:200] for e in severe]}"
    console.button("Sign out").click()
    console.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin"))
    assert console.driver.execute_script("return sessionStorage.length") == 0


def test_a_401_signs_out(console):
    status, created = call("POST", "/api/email/api-keys", {"name": unique("Short-lived"), "permissions": ["admin"]})
    assert status == 201
    console.sign_in(created["data"]["key"])
    status, _ = call("DELETE", f"/api/email/api-keys/{created['data']['id']}")
    assert status == 200
    console.go("api-keys")  # the next request is refused
    notice = console.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "form.signin .notice"))[0]
    assert "401" in notice.text
    assert console.driver.execute_script("return sessionStorage.length") == 0


def test_what_the_key_may_not_do_is_disabled_and_names_the_permission(console):
    status, created = call("POST", "/api/email/api-keys",
                           {"name": unique("Reader"), "permissions": ["EmailProvidersRead"]})
    assert status == 201
    provider = create_provider("ses")
    console.sign_in(created["data"]["key"])
    console.wait_loaded()
    create = console.button("Create provider")
    assert not create.is_enabled() and create.get_attribute("title") == "Requires EmailProvidersWrite"
    edit = console.button(f"Edit {provider['name']}")
    assert not edit.is_enabled() and "EmailProvidersWrite" in edit.get_attribute("title")
    assert "EmailProvidersWrite" in console.driver.find_element(By.CSS_SELECTOR, ".note").text
    console.go("api-keys")
    assert "needs a key with admin" in console.driver.find_element(By.CSS_SELECTOR, "main").text


def test_edit_dialog_shows_the_type_as_immutable_and_secrets_blank(console):
    provider = create_provider("smtp", smtp_credentials={
        "host": "smtp.example.com", "port": 2525, "username": "relay@example.com", "password": SMTP_PASSWORD,
        "encryption": "tls", "accept_invalid_certs": True})
    console.sign_in()
    dialog = open_edit(console, provider)
    kind = console.field("Type", dialog)
    assert kind.get_attribute("readonly") is not None and kind.get_attribute("value") == "SMTP"
    assert "Immutable" in console.field_row("Type", dialog).text
    # Non-secret SMTP fields prefilled from the masked GET.
    assert console.field("Host", dialog).get_attribute("value") == "smtp.example.com"
    assert console.field("Port", dialog).get_attribute("value") == "2525"
    assert console.field("Encryption", dialog).get_attribute("value") == "tls"
    assert console.field("Accept invalid certificates", dialog).is_selected()
    password = console.field("Password", dialog)
    assert password.get_attribute("value") == "" and password.get_attribute("type") == "password"
    assert "Leave blank to keep current." in console.field_row("Password", dialog).text
    assert SMTP_PASSWORD not in console.driver.page_source

    for kind, secret_label in [("ses", "Secret access key"), ("scaleway", "API key")]:
        other = create_provider(kind)
        dialog = open_edit(console, other)
        assert console.field(secret_label, dialog).get_attribute("value") == ""
        assert "Leave blank to keep current." in console.field_row(secret_label, dialog).text
        console.button("Cancel", dialog).click()
        console.no_dialog()


def test_nothing_changed_sends_nothing(console):
    provider = create_provider("smtp")
    console.sign_in()
    dialog = open_edit(console, provider)
    console.record_requests()
    before = routes_seen()
    console.button("Save", dialog).click()
    status = console.wait.until(lambda d: dialog.find_element(By.CSS_SELECTOR, ".form-status .notice"))
    assert "Nothing changed" in status.text
    time.sleep(0.5)
    assert console.sent("PATCH") == [], "the page sent a PATCH"
    after = routes_seen()
    assert not [r for r in after[len(before):] if r.startswith("PATCH")], "a PATCH reached the server's access log"
    status, events = call("GET", f"/api/audit-events?resource_id={provider['id']}")
    assert [e["event_type"] for e in events["events"]] == ["EMAIL_PROVIDER_CREATED"]


def test_only_changed_fields_are_sent(console):
    provider = create_provider("smtp")
    console.sign_in()
    dialog = open_edit(console, provider)
    console.record_requests()
    name = console.field("Name", dialog)
    name.clear()
    name.send_keys(provider["name"] + " renamed")
    console.field("Active", dialog).click()
    console.button("Save", dialog).click()
    console.no_dialog()
    patches = console.sent("PATCH")
    assert len(patches) == 1
    assert json.loads(patches[0]["body"]) == {"name": provider["name"] + " renamed", "is_active": False}
    status, events = call("GET", f"/api/audit-events?resource_id={provider['id']}&event_type=EMAIL_PROVIDER_UPDATED")
    assert events["events"][0]["changed_fields"] == ["name", "is_active"]


def test_turning_certificate_checks_off_requires_the_password(console):
    provider = create_provider("smtp")
    console.sign_in()
    dialog = open_edit(console, provider)
    console.record_requests()
    password_row = console.field_row("Password", dialog)
    console.field("Accept invalid certificates", dialog).click()
    assert "required" in password_row.get_attribute("class")
    assert "certificate checks were turned off" in password_row.text
    console.button("Save", dialog).click()
    error = console.field_error("Password", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert console.sent("PATCH") == [], "no request without the password"
    # Unticked again: nothing moved, the password is optional once more.
    console.field("Accept invalid certificates", dialog).click()
    assert "required" not in password_row.get_attribute("class")
    console.button("Cancel", dialog).click()
    console.no_dialog()


def test_a_new_smtp_destination_requires_the_password_and_says_why(console):
    provider = create_provider("smtp")
    console.sign_in()
    dialog = open_edit(console, provider)
    console.record_requests()
    password_row = console.field_row("Password", dialog)
    assert "required" not in password_row.get_attribute("class")
    host = console.field("Host", dialog)
    host.clear()
    host.send_keys("smtp2.example.com")
    assert "required" in password_row.get_attribute("class")
    assert "only goes to the server it was given for" in password_row.text
    console.button("Save", dialog).click()
    error = console.field_error("Password", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert "only goes to the server it was given for" in error.text
    assert console.sent("PATCH") == [], "no request without the password"

    console.field("Password", dialog).send_keys(SMTP_PASSWORD)
    console.button("Save", dialog).click()
    console.no_dialog()
    body = json.loads(console.sent("PATCH")[0]["body"])
    assert list(body) == ["smtp_credentials"], "only the credential block changed"
    block = body["smtp_credentials"]
    assert block["host"] == "smtp2.example.com" and block["port"] == 587 and "username" not in block
    assert block["password"] == SMTP_PASSWORD, "the password entered was sent"
    status, stored = call("GET", f"/api/email-providers/{provider['id']}")
    assert stored["credentials"]["host"] == "smtp2.example.com"


def test_a_400_is_shown_beside_its_field(console):
    provider = create_provider("smtp")
    console.sign_in()
    dialog = open_edit(console, provider)
    name = console.field("Name", dialog)
    name.clear()
    name.send_keys("   ")
    console.button("Save", dialog).click()
    error = console.field_error("Name", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert error.text == "Provider name cannot be empty"
    assert console.field("Name", dialog).get_attribute("aria-invalid") == "true"

    name.clear()
    name.send_keys(provider["name"])
    port = console.field("Port", dialog)
    port.clear()
    port.send_keys("0")
    console.field("Password", dialog).send_keys(SMTP_PASSWORD)
    console.button("Save", dialog).click()
    error = console.field_error("Port", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert error.text == "smtp_credentials.port must be greater than 0"
    assert not console.field_error("Name", dialog).is_displayed(), "the old error is gone"


def test_an_api_key_is_shown_once_and_leaves_the_page(console):
    console.sign_in(page="api-keys")
    console.wait_loaded()
    console.button("Create API key").click()
    dialog = console.dialog()
    name = unique("Console key")
    console.field("Name", dialog).send_keys(name)
    console.button("Create", dialog).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    key = once.get_attribute("value")
    assert key.startswith("pk_test_")
    shown = console.dialog().text
    assert "only returned once upon creation" in shown and "cannot be retrieved again" in shown
    console.button("Copy", console.dialog())
    console.button("Done", console.dialog()).click()
    console.no_dialog()
    console.row(name)
    assert key not in console.driver.page_source, "the key is gone from the page"
    status, me = call("GET", "/api/whoami", key=key)
    assert status == 200 and me["permissions"] == ["send", "read"], "the key shown works"


def test_the_smtp_page_says_how_a_mail_client_logs_in(console):
    console.sign_in(page="smtp")
    console.wait_loaded()
    help_text = console.driver.find_element(By.CSS_SELECTOR, ".login-help").text
    assert f"user name {ACCOUNT_ID}" in help_text and "password an SMTP credential" in help_text, help_text


def test_an_smtp_credential_is_shown_once_on_create_and_on_rotate(console):
    console.sign_in(page="smtp")
    console.wait_loaded()
    assert "SMTP" in console.driver.find_element(By.CSS_SELECTOR, "main").text
    console.button("Create SMTP credential").click()
    dialog = console.dialog()
    name = unique("Thunderbird")
    console.field("Name", dialog).send_keys(name)
    console.button("Create", dialog).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    first = once.get_attribute("value")
    assert first.startswith("rm_") and "will not be able to view it again" in console.dialog().text
    console.dialog().send_keys(Keys.ESCAPE)  # Escape closes a dialog
    console.no_dialog()
    assert first not in console.driver.page_source

    console.button(f"Rotate {name}").click()
    console.button("Rotate", console.dialog()).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    second = once.get_attribute("value")
    assert second.startswith("rm_") and second != first
    console.button("Done", console.dialog()).click()
    console.no_dialog()
    assert second not in console.driver.page_source
    assert call("GET", "/api/whoami", key=first)[0] == 401, "the rotated-away key is refused"
    assert call("GET", "/api/whoami", key=second)[0] == 200


def rows_named(console, name):
    return [r for r in console.driver.find_elements(By.CSS_SELECTOR, "tbody tr") if name in r.text]


def test_a_rotation_with_an_overlap_shows_both_keys_with_their_last_use_and_networks(console):
    from selenium.webdriver.support.ui import Select

    name = unique("Worker key")
    status, created = call("POST", "/api/email/api-keys",
                           {"name": name, "permissions": ["EmailProvidersRead"], "allowedCidrs": ["127.0.0.0/8"]})
    assert status == 201
    old_key = created["data"]["key"]
    assert call("GET", "/api/whoami", key=old_key)[0] == 200
    console.sign_in(page="api-keys")
    console.wait_loaded()
    console.button(f"Rotate {name}").click()
    dialog = console.dialog()
    Select(console.field("Keep the old key working for", dialog)).select_by_visible_text("1 hour")
    console.button("Rotate", dialog).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    new_key = once.get_attribute("value")
    assert new_key.startswith("pk_test_") and new_key != old_key
    assert "The old key keeps working until" in console.dialog().text
    console.button("Done", console.dialog()).click()
    console.no_dialog()
    console.wait.until(lambda d: len(rows_named(console, name)) == 2)
    old_row, new_row = rows_named(console, name)
    assert "old key · stops" in old_row.text and "new key" in new_row.text, "the pair together, old first"
    assert "whoami" in old_row.text and "127.0.0.1" in old_row.text, "the old key's last use"
    assert "127.0.0.0/8" in old_row.text and "127.0.0.0/8" in new_row.text, "the networks carried over"
    assert not old_row.find_elements(By.XPATH, f".//button[@aria-label='Rotate {name}']"), "rotated once only"
    for key in (old_key, new_key):
        assert call("GET", "/api/whoami", key=key)[0] == 200, "both work in the overlap"

    # The allow-list is edited in the Edit dialog; a bad entry is shown beside it.
    new_row.find_element(By.XPATH, f".//button[@aria-label='Edit {name}']").click()
    dialog = console.dialog()
    networks = console.field("Allowed networks", dialog)
    networks.clear()
    networks.send_keys("192.0.2.0/24\n192.0.2.1/24")
    console.button("Save", dialog).click()
    error = console.field_error("Allowed networks", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert error.text.startswith("allowedCidrs[1]"), error.text
    networks.clear()
    networks.send_keys("192.0.2.0/24")
    console.button("Save", dialog).click()
    console.no_dialog()
    console.wait.until(lambda d: "192.0.2.0/24" in rows_named(console, name)[-1].text)
    assert call("GET", "/api/whoami", key=new_key)[0] == 403, "now refused from here"


def test_an_smtp_credential_rotates_with_an_overlap_and_edits_its_networks(console):
    from selenium.webdriver.support.ui import Select

    name = unique("Printer")
    status, created = call("POST", "/api/smtp-credentials", {"name": name, "scopes": ["smtp"]})
    assert status == 201
    console.sign_in(page="smtp")
    console.wait_loaded()
    console.button(f"Edit {name}").click()
    dialog = console.dialog()
    console.field("Allowed networks", dialog).send_keys("198.51.100.0/24")
    console.button("Save", dialog).click()
    console.no_dialog()
    console.wait.until(lambda d: "198.51.100.0/24" in console.row(name).text)
    console.button(f"Rotate {name}").click()
    dialog = console.dialog()
    Select(console.field("Keep the old key working for", dialog)).select_by_visible_text("1 day")
    console.button("Rotate", dialog).click()
    console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    assert "The old key keeps working until" in console.dialog().text
    console.button("Done", console.dialog()).click()
    console.no_dialog()
    console.wait.until(lambda d: len(rows_named(console, name)) == 2)
    old_row, new_row = rows_named(console, name)
    assert "old key" in old_row.text and "new key" in new_row.text
    assert "198.51.100.0/24" in new_row.text, "the networks carried over"
    assert call("GET", "/api/whoami", key=created["apiKey"])[0] == 403, "bound: refused from here"


def test_keys_found_in_public_are_noticed_on_both_key_pages(console):
    import os
    import subprocess

    # One reported by GitHub (make dev's stand-in signs as GitHub does), one
    # revoked by whoever held it.
    status, github_found = call("POST", "/api/email/api-keys", {"name": unique("Pushed"), "permissions": ["send"]})
    assert status == 201
    where = f"https://github.com/octo-org/octo-repo/blob/{unique('c').split()[1]}/.env"
    report = json.dumps([{"token": github_found["data"]["key"], "type": "mailkeys_api_key", "url": where, "source": "commit"}])
    key_file = os.path.join(os.environ["MAILKEYS_DEV_STATE"], "github-scanning-key.pem")
    sent = subprocess.run(["target/debug/mailkeys-admin", "send-github-report", "--url", BASE, "--key-file", key_file],
                          input=report.encode(), capture_output=True, check=True)
    assert json.loads(sent.stdout)[0]["label"] == "true_positive"
    status, pasted = call("POST", "/api/smtp-credentials", {"name": unique("Pasted"), "scopes": ["imap"]})
    assert status == 201
    status, _ = call("POST", "/api/public/keys/revoke", {"credentials": [pasted["apiKey"]]}, key=None)
    assert status == 202
    assert call("GET", "/api/whoami", key=github_found["data"]["key"])[0] == 401

    console.sign_in(page="api-keys")
    for page in ["api-keys", "smtp"]:
        console.go(page)
        console.wait_loaded()
        notice = console.wait.until(lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, ".exposed")), None))
        text = notice.text
        assert "found in public and revoked in the last 30 days" in text, text
        assert where in text and "(commit)" in text and "GitHub secret scanning" in text, text
        assert pasted["id"] in text and "reported by its holder" in text, text
        link = notice.find_element(By.XPATH, f".//a[@href='{where}']")
        assert link.get_attribute("rel") == "noopener noreferrer"


def test_dialogs_work_from_the_keyboard(console):
    console.sign_in()
    console.wait_loaded()
    create = console.button("Create provider")
    create.send_keys(Keys.ENTER)
    dialog = console.dialog()
    focused = console.driver.switch_to.active_element
    assert focused.get_attribute("id") == console.field("Name", dialog).get_attribute("id"), "focus moves into the dialog"
    for _ in range(30):  # Tab never leaves the modal dialog
        console.driver.switch_to.active_element.send_keys(Keys.TAB)
        inside = console.driver.execute_script(
            "return document.querySelector('dialog[open]').contains(document.activeElement)")
        assert inside, "focus left the dialog"
    console.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    console.no_dialog()
    assert console.driver.switch_to.active_element.get_attribute("aria-label") == "Create provider", "focus returns"
    # Every control has a name and every input a label.
    unnamed = console.driver.execute_script("""
        return [...document.querySelectorAll('button, input, select')].filter(el =>
          !(el.getAttribute('aria-label') || el.textContent.trim() || (el.labels && el.labels.length))).length""")
    assert unnamed == 0


def test_provider_credentials_search_create_rotate_delete(console):
    console.sign_in(page="credentials")
    console.wait_loaded()
    host = f"imap-{unique('h').split()[1]}.example.com"
    console.button("Create credential").click()
    dialog = console.dialog()
    console.field("Host", dialog).send_keys(host)
    console.field("Username", dialog).send_keys("user@example.com")
    console.field("Password", dialog).send_keys("app-password")
    console.button("Create", dialog).click()
    console.no_dialog()
    row = console.row(host)
    assert "u***@example.com" in row.text
    filters = console.driver.find_element(By.CSS_SELECTOR, "form.filters")
    console.field("Host", filters).send_keys(host)
    console.button("Search").click()
    console.wait_loaded()
    assert len(console.driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1
    console.button(f"Rotate {host}").click()
    dialog = console.dialog()
    console.field("Password", dialog).send_keys("new-app-password")
    console.button("Rotate", dialog).click()
    console.no_dialog()
    console.button(f"Delete {host}").click()
    console.button("Delete", console.dialog()).click()
    console.wait.until(lambda d: "No provider credentials match." in d.find_element(By.CSS_SELECTOR, "main").text)
    status, events = call("GET", "/api/audit-events?event_type=PROVIDER_CREDENTIAL_ROTATED&limit=1")
    assert events["events"], "the rotation was audited"


def test_the_audit_trail_filters_and_pages(console):
    provider = create_provider("ses")
    for n in range(3):
        call("PATCH", f"/api/email-providers/{provider['id']}", {"name": f"{provider['name']} v{n}"})
    console.sign_in(page="audit")
    console.wait_loaded()
    filters = console.driver.find_element(By.CSS_SELECTOR, "form.filters")
    console.field("Resource ID", filters).send_keys(str(provider["id"]))
    console.button("Apply").click()
    console.wait_loaded()
    rows = console.driver.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[1].text for r in rows] == \
        ["EMAIL_PROVIDER_UPDATED"] * 3 + ["EMAIL_PROVIDER_CREATED"], "newest first"
    assert [r.find_elements(By.TAG_NAME, "td")[3].text for r in rows] == ["4", "3", "2", "1"], "the versions"
    assert "name" in rows[0].text
    first = console.driver.execute_script("return document.querySelector('tbody time').textContent")
    assert "T" not in first, "times in the browser's locale, not RFC 3339"
    select = console.field("Event type", filters)
    select.send_keys("EMAIL_PROVIDER_CREATED")
    console.button("Apply").click()
    console.wait_loaded()
    assert len(console.driver.find_elements(By.CSS_SELECTOR, "tbody tr")) == 1


def test_usable_at_360_pixels(console):
    create_provider("scaleway")
    console.driver.set_window_size(360, 800)
    console.sign_in()
    console.wait_loaded()
    for page in ["providers", "credentials", "api-keys", "smtp", "audit"]:
        console.go(page)
        width = console.driver.execute_script("return document.documentElement.scrollWidth")
        inner = console.driver.execute_script("return window.innerWidth")
        assert width <= inner, f"{page} scrolls sideways at {inner} px ({width} px wide)"


def test_a_provider_test_shows_its_stage_and_message_and_relays_show_for_copying(console):
    closed = create_provider("smtp", smtp_credentials={"host": "127.0.0.1", "port": 9, "encryption": "starttls"})
    scaleway = create_provider("scaleway")
    console.sign_in()
    console.wait_loaded()
    assert "smtp.tem.scaleway.com:587" in console.row(scaleway["name"]).text, "Scaleway's relay is shown"
    console.button(f"Copy the SMTP relay settings of {scaleway['name']}")
    console.button(f"Test {closed['name']}").click()
    dialog = console.dialog()
    assert console.field("Recipient (optional)", dialog).get_attribute("value") == ""
    console.button("Test", dialog).click()
    result = console.wait.until(lambda d: dialog.find_element(By.CSS_SELECTOR, ".result"))
    assert "Failed at stage connect" in result.text, "the outcome's stage is shown"
    status, stored = call("GET", f"/api/email-providers/{closed['id']}")
    assert stored["last_test"]["message"] in result.text, "and its message"


def test_a_key_is_offered_only_what_it_may_grant(console):
    status, created = call("POST", "/api/smtp-credentials", {"name": unique("App"), "scopes": ["app"]})
    assert status == 201
    console.sign_in(created["apiKey"], page="smtp")
    console.wait_loaded()
    console.button("Create SMTP credential").click()
    dialog = console.dialog()
    internal = dialog.find_element(By.CSS_SELECTOR, "input[value=internal]")
    assert not internal.is_enabled() and "cannot grant internal" in dialog.text
    assert dialog.find_element(By.CSS_SELECTOR, "input[value=imap]").is_enabled()
    console.button("Cancel", dialog).click()
    console.button("Sign out").click()
    console.sign_in(page="smtp")  # admin may mint the account's internal key
    console.wait_loaded()
    console.button("Create SMTP credential").click()
    assert console.dialog().find_element(By.CSS_SELECTOR, "input[value=internal]").is_enabled()


def test_a_credential_edit_sends_only_changes_and_a_new_destination_needs_the_secret(console):
    status, credential = call("POST", f"/api/accounts/{ACCOUNT_ID}/provider-credentials", {
        "provider_kind": "imap", "host": f"imap-{unique('e').split()[1]}.example.com", "port": 993,
        "security_mode": "ssl_tls", "auth_kind": "password", "username": "u@example.com", "password": "app-password"})
    assert status == 201
    console.sign_in(page="credentials")
    console.wait_loaded()
    console.button(f"Edit {credential['host']}").click()
    dialog = console.dialog()
    console.record_requests()
    console.button("Save", dialog).click()
    console.wait.until(lambda d: "Nothing changed" in dialog.text)
    port = console.field("Port", dialog)
    port.clear()
    port.send_keys("143")
    console.field("Security mode", dialog).send_keys("STARTTLS")
    console.button("Save", dialog).click()
    error = console.field_error("Password", dialog)
    console.wait.until(lambda d: error.is_displayed())
    assert console.sent("PATCH") == [], "no request without the secret"
    console.field("Password", dialog).send_keys("app-password")
    console.button("Save", dialog).click()
    console.no_dialog()
    body = json.loads(console.sent("PATCH")[0]["body"])
    assert sorted(body) == ["password", "port", "security_mode"], "only what changed, and the secret"
    status, stored = call("GET", f"/api/provider-credentials/{credential['id']}")
    assert (stored["port"], stored["security_mode"]) == (143, "starttls")


def test_the_provider_list_pages_through_the_link_header(console):
    """Lists show 50 at a time; the provider list's next page is named by the
    answer's Link header. Last in the file: it fills pages, then empties them."""
    made = [create_provider("ses") for _ in range(51)]
    try:
        console.sign_in(page="providers")
        console.wait_loaded()
        first = [r.text for r in console.driver.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert len(first) == 50
        console.record_requests()
        console.button("Next page").click()
        console.wait_loaded()
        console.button("First page")
        second = [r.text for r in console.driver.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert second and not set(second) & set(first)
        assert made[-1]["name"] in "\n".join(second), "the newest provider is on a later page"
        assert "cursor=" in console.sent("GET")[-1]["url"]
    finally:
        for provider in made:
            call("DELETE", f"/api/email-providers/{provider['id']}")


def test_a_webhook_endpoint_is_created_tested_disabled_rotated_and_deleted(console):
    console.sign_in(page="webhooks")
    console.wait_loaded()
    receiver = f"{BASE}/dev/webhook-receiver"
    description = unique("Console hook")
    console.button("Create webhook endpoint").click()
    dialog = console.dialog()
    console.field("URL", dialog).send_keys(receiver)
    console.field("Description", dialog).send_keys(description)
    assert console.field("Everything (* — all but credential.resolved)", dialog).is_selected(), "* by default"
    console.button("Create", dialog).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    secret = once.get_attribute("value")
    assert secret.startswith("whsec_")
    assert "shown only now" in console.dialog().text
    console.button("Done", console.dialog()).click()
    console.no_dialog()
    row = console.row(description)
    assert "enabled" in row.text and "*" in row.text
    assert secret not in console.driver.page_source, "the secret is gone from the page"

    console.button(f"Test {receiver}").click()
    result = console.dialog()
    console.wait.until(lambda d: "Delivered" in result.text)
    assert "answered 204" in result.text
    console.button("Done", result).click()
    console.no_dialog()
    status, received = call("GET", "/dev/webhook-receiver", key=None)
    assert status == 200 and received[0]["headers"]["webhook-signature"].startswith("v1,")

    console.button(f"Deliveries of {receiver}").click()
    deliveries = console.dialog()
    console.wait.until(lambda d: "webhook.test" in deliveries.text)
    console.button("Done", deliveries).click()
    console.no_dialog()

    console.button(f"Disable {receiver}").click()
    console.wait.until(lambda d: "disabled" in console.row(description).text)
    console.button(f"Enable {receiver}").click()
    console.wait.until(lambda d: "enabled" in console.row(description).text)

    console.button(f"Rotate the secret of {receiver}").click()
    console.button("Rotate", console.dialog()).click()
    once = console.wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "dialog[open] input.once"))
    assert once.get_attribute("value").startswith("whsec_") and once.get_attribute("value") != secret
    console.button("Done", console.dialog()).click()
    console.no_dialog()

    console.button(f"Delete {receiver}").click()
    console.button("Delete", console.dialog()).click()
    console.wait.until(lambda d: description not in d.find_element(By.CSS_SELECTOR, "main").text)
    status, events = call("GET", "/api/audit-events?event_type=WEBHOOK_DELETED&limit=1")
    assert events["events"], "the deletion was audited"
