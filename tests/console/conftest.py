"""Fixtures for the console's browser tests, run against a `make dev` stack
(scripts/with-dev.sh sets MAILKEYS_URL, MAILKEYS_ADMIN_KEY and MAILKEYS_DEV_LOG)."""
import json
import os
import urllib.error
import urllib.request
import uuid

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser import chromium

BASE = os.environ["MAILKEYS_URL"]
ADMIN_KEY = os.environ["MAILKEYS_ADMIN_KEY"]
ACCOUNT_ID = os.environ["MAILKEYS_ACCOUNT_ID"]
DEV_LOG = os.environ["MAILKEYS_DEV_LOG"]


def call(method, path, body=None, key=ADMIN_KEY):
    """The API over HTTP, as a test's own setup; returns (status, JSON or None)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
            return response.status, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text else None


def unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def routes_seen():
    """The routes of the server's access log so far, in order."""
    routes = []
    with open(DEV_LOG, encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"mailkeys::access"' in line:
                routes.append(json.loads(line)["fields"]["route"])
    return routes


class Console:
    """The console in one headless Chromium."""

    def __init__(self, driver):
        self.driver = driver
        # Pages re-render: an element found a moment ago may be replaced.
        self.wait = WebDriverWait(driver, 15, ignored_exceptions=[StaleElementReferenceException])

    def open(self, page="providers"):
        self.driver.get(f"{BASE}/console/#/{page}")

    def sign_in(self, key=ADMIN_KEY, page="providers"):
        self.open(page)
        field = self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, "form.signin input[type=password]")))
        field.send_keys(key)
        self.button("Sign in").click()
        self.wait.until(EC.presence_of_element_located((By.ID, "who")))
        self.wait.until(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Sign out']"))

    def go(self, page):
        """Shows `page`, freshly loaded (a reload when it is already shown)."""
        if self.driver.execute_script("return location.hash") == f"#/{page}":
            self.driver.refresh()
            self.wait.until(lambda d: d.find_elements(By.XPATH, "//button[normalize-space()='Sign out']"))
        else:
            self.driver.execute_script("location.hash = arguments[0]", f"#/{page}")
        self.wait_loaded()

    def wait_loaded(self):
        self.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".loading"))

    def button(self, name, within=None):
        root = within or self.driver
        xpath = f".//button[normalize-space()='{name}' or @aria-label='{name}']"
        return self.wait.until(lambda d: next((b for b in root.find_elements(By.XPATH, xpath) if b.is_displayed()), None))

    def dialog(self):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open]")))

    def no_dialog(self):
        """Every dialog closed and gone from the page."""
        self.wait.until(lambda d: not d.find_elements(By.CSS_SELECTOR, "dialog"))

    def field(self, label, within=None):
        """The input a visible <label> names."""
        root = within or self.dialog()
        found = root.find_element(By.XPATH, f".//label[normalize-space()='{label}']")
        return root.find_element(By.ID, found.get_attribute("for"))

    def field_row(self, label, within=None):
        field = self.field(label, within)
        return field.find_element(By.XPATH, "./ancestor::div[contains(@class,'field')][1]")

    def field_error(self, label, within=None):
        row = self.field_row(label, within)
        return row.find_element(By.CSS_SELECTOR, ".field-error")

    def row(self, text):
        """The table row holding `text`."""
        return self.wait.until(lambda d: next(
            (r for r in d.find_elements(By.CSS_SELECTOR, "tbody tr") if text in r.text), None))

    def record_requests(self):
        """From now on, remember what the page sends (method, path, body)."""
        self.driver.execute_script("""
            window.__sent = [];
            const original = window.fetch;
            window.fetch = (url, init = {}) => {
              window.__sent.push({ method: init.method || 'GET', url: String(url), body: init.body || null });
              return original(url, init);
            };""")

    def sent(self, method=None):
        sent = self.driver.execute_script("return window.__sent || []")
        return [s for s in sent if method is None or s["method"] == method]


@pytest.fixture
def console():
    driver = chromium()
    try:
        yield Console(driver)
    finally:
        driver.quit()
