"""The Content-Security-Policy in a real browser: the pages that run scripts still work, and
chromium reports no violation (no inline script or style, no handler, nothing from elsewhere).

Uses the browser tests' chromium, live server and demo project (tests/browser/conftest.py).
Every violation reaches the console: chromium's own "Refused to ..." errors, and a
`securitypolicyviolation` listener added before any page script runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from sitebill.accounts.models import Project, User
from sitebill.billing.models import BillingPeriod
from sitebill.billing.services.pay_apps import pay_app_create
from sitebill.contracts.models import Contract
from sitebill.core.csp import POLICY
from tests.browser import conftest as browser
from tests.browser.conftest import log_in

# The browser tests' fixtures: a chromium page on the demo served by the live server.
browser_page = browser.page
site = browser.site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@example.com"
CONTACT = "billing@acme.example"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  console.error(`CSP violation: ${event.violatedDirective} blocked ${blocked}`);
});
"""


@pytest.fixture
def csp_page(browser_page: Page) -> Iterator[tuple[Page, list[str]]]:
    """A page whose CSP violations are collected; the test fails if there was any."""
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or "CSP violation" in text:
            violations.append(text)

    browser_page.add_init_script(REPORT_VIOLATIONS)
    browser_page.on("console", on_console)
    yield browser_page, violations
    assert violations == [], "CSP violations:\n" + "\n".join(violations)


def open_page(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, path
    assert response.headers["content-security-policy"] == POLICY


def test_send_invites_and_select_all_work_under_the_policy(csp_page):
    page, violations = csp_page
    # given the Admin on the Subcontractor tab of Progress Billings
    log_in(page, ADMIN)
    project = Project.objects.get()
    open_page(page, f"/projects/{project.pk}/progress-billings/")
    # when every commitment is selected with "select all" (static/web/select_all.js)
    select_all = page.get_by_role("checkbox", name="Select every commitment that can be invited")
    expect(select_all).to_be_visible()
    select_all.check()
    expect(page.get_by_role("checkbox", name="Select SC-001 Concrete")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Select SC-002 Electrical")).to_be_checked()
    page.get_by_role("checkbox", name="Select PO-001 Structural steel supply").uncheck()
    page.get_by_label("Invoice type").select_option(label="Work & Materials")
    page.get_by_role("button", name="Send Invites").click()
    # then htmx swapped the panel and the banner took the focus
    banner = page.get_by_role("status").filter(has_text="2 invites sent.")
    expect(banner).to_be_visible()
    expect(banner).to_be_focused()
    assert violations == []


def test_the_pay_app_grid_keeps_its_live_totals_under_the_policy(csp_page):
    page, violations = csp_page
    # given a Draft pay app of Acme's in the open period
    contract = Contract.objects.get(number="SC-001")
    period = BillingPeriod.objects.get(project=contract.project, status="open")
    today = timezone.localdate()
    pay_app = pay_app_create(
        actor=User.objects.get(email=ADMIN),
        contract=contract,
        billing_period=period,
        on_behalf_of=User.objects.get(email=CONTACT),
        invoice_number="ACME-0003",
        billing_date=today,
        today=today,
    )
    log_in(page, CONTACT)
    open_page(page, f"/pay-apps/{pay_app.pk}/")
    first = page.get_by_label("Line 1 Mobilization: work completed this period", exact=True)
    second = page.get_by_label("Line 2 Layout and survey: work completed this period", exact=True)
    # when an amount is typed and Enter pressed (static/web/pay_grid.js moves down the column)
    first.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("5000")
    page.keyboard.press("Enter")
    # then
    expect(second).to_be_focused()
    summary = page.get_by_role("region", name=re.compile(r"^Application summary \(G702\)"))
    expect(summary.get_by_text("Not saved")).to_be_visible()  # htmx's live preview
    grand_total = page.get_by_role("row", name=re.compile(r"^Grand total"))
    expect(grand_total).to_contain_text("$5,000.00")
    assert violations == []


def test_the_api_docs_work_offline_under_their_policy(csp_page):
    page, violations = csp_page
    # when
    response = page.goto("/api/docs/")
    # then: Swagger UI from our static files, showing our operations
    assert response is not None and response.ok
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    expect(page.get_by_role("heading", name=re.compile(r"^sitebill API"))).to_be_visible()
    operation = page.get_by_text("/api/v1/projects/", exact=True).first
    expect(operation).to_be_visible()
    operation.click()  # opens the operation: its parameters and answers
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_text("Available authorizations")).to_be_visible()
    requested_elsewhere = page.evaluate(
        "() => performance.getEntriesByType('resource')"
        ".map((entry) => entry.name).filter((url) => !url.startsWith(location.origin))"
    )
    assert requested_elsewhere == []
    assert violations == []
