"""Real-browser tests: Debian's chromium, driven by Playwright (sync API), against a live server.

- `site`: the demo project (`load_demo`) served by pytest-django's `live_server`, mail kept in the
  outbox (`/outbox/`), email links pointing at the live server.
- `page`: a fresh 1440×900 chromium page per test, 15 s timeouts. A failing test leaves a
  full-page screenshot in var/browser-failures/; a JavaScript error or a 5xx answer on any page
  fails the test.
- `shot(page, name)`: with SITEBILL_SCREENSHOTS=docs/screenshots, saves the documentation
  screenshots (1440×900, the viewport).
- `log_in(page, email)` / `log_out(page)`: the login form, typed as a person types.
- `submitted_pay_app`: the state the seeds' first half leaves (SC-001 and SC-002 invited, Acme
  accepted, Acme's pay app #3 with TYPED_AMOUNTS on lines 1-3, submitted), built through the
  services, for the tests that start at the review.

Playwright's sync API keeps an asyncio loop registered on the main thread, so Django's ORM
refuses to run there while a browser is open ("You cannot call this from an async context").
The test thread only reads and builds data (the live server answers in its own thread), so
`page` allows it with DJANGO_ALLOW_ASYNC_UNSAFE for the test's duration only. In that state
Django also hands the thread a second set of connections (its async-context storage), which
`page` closes before stopping Playwright, so none is left open on the test database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from playwright.sync_api import Page, Response, ViewportSize, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT: ViewportSize = {"width": 1440, "height": 900}
TIMEOUT_MS = 15_000
PASSWORD = "demo1234"
REPO = Path(__file__).resolve().parents[2]
FAILURES = REPO / "var" / "browser-failures"
KEEP_IN_OUTBOX = "sitebill.notifications.backends.KeepInOutbox"
# What Acme's contact types into "work completed this period" of lines 1-3 of SC-001.
TYPED_AMOUNTS = ["5000", "4000", "2345.60"]


@dataclass
class Site:
    """The live server and the demo project it serves."""

    url: str
    project: Any


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so `page` knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def site(live_server: Any, transactional_db: Any, settings: Any) -> Site:
    """The demo project on a live server; mail lands in the outbox; links point here.

    `transactional_db` is named here (the live server needs committed data) so that the
    append-only Event triggers are lifted around its flushes (tests/conftest.py).
    """
    from sitebill.billing.demo import load_demo

    settings.EMAIL_BACKEND = KEEP_IN_OUTBOX
    settings.SITE_URL = live_server.url
    project = load_demo()
    return Site(url=live_server.url, project=project)


@pytest.fixture
def page(
    request: pytest.FixtureRequest, site: Site, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Page]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/ensure-chromium (apt-get install chromium)"
        )
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=VIEWPORT, base_url=site.url)
        browser_page = context.new_page()
        browser_page.set_default_timeout(TIMEOUT_MS)
        browser_page.on("pageerror", lambda error: problems.append(f"JavaScript: {error}"))

        def server_error(response: Response) -> None:
            if response.status >= 500:
                problems.append(f"{response.status} from {response.request.method} {response.url}")

        browser_page.on("response", server_error)
        try:
            yield browser_page
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                FAILURES.mkdir(parents=True, exist_ok=True)
                name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
                target = FAILURES / f"{name}.png"
                try:
                    browser_page.screenshot(path=str(target), full_page=True)
                    print(f"\nbrowser failure screenshot: {target} (at {browser_page.url})")
                except Exception as error:  # a crashed page: the test's own error matters more
                    print(f"\nno failure screenshot: {error}")
            context.close()
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's connections apart (an
            # async context): close those now, or they outlive the test database.
            connections.close_all()
    if problems:
        pytest.fail("The pages went wrong: " + "; ".join(problems))


@pytest.fixture
def submitted_pay_app(site: Site) -> Any:
    """Acme's pay app #3 for the Open period, lines 1-3 billed, Under Review (via services)."""
    from decimal import Decimal

    from django.utils import timezone

    from sitebill.accounts.models import User
    from sitebill.billing.models import BillingPeriod, Invite, PayApp
    from sitebill.billing.services.invites import invite_accept, invites_send
    from sitebill.billing.services.pay_apps import (
        LineChange,
        pay_app_create,
        pay_app_lines_update,
        pay_app_submit,
    )
    from sitebill.contracts.models import Contract

    admin = User.objects.get(email="admin@example.com")
    contact = User.objects.get(email="billing@acme.example")
    period = BillingPeriod.objects.get(project=site.project, status=BillingPeriod.Status.OPEN)
    concrete = Contract.objects.get(project=site.project, number="SC-001")
    electrical = Contract.objects.get(project=site.project, number="SC-002")
    invites_send(actor=admin, period=period, contracts=[concrete, electrical])
    invite_accept(
        actor=contact, invite=Invite.objects.get(contract=concrete, billing_period=period)
    )
    pay_app = pay_app_create(
        actor=contact,
        contract=concrete,
        billing_period=period,
        invoice_number="ACME-0003",
        billing_date=timezone.localdate(),
    )
    lines = list(pay_app.lines.order_by("position")[: len(TYPED_AMOUNTS)])
    pay_app_lines_update(
        actor=contact,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[
            LineChange(line_id=line.pk, work_completed_this_period=Decimal(amount))
            for line, amount in zip(lines, TYPED_AMOUNTS, strict=True)
        ],
    )
    pay_app.refresh_from_db()
    pay_app_submit(actor=contact, pay_app=pay_app, version=pay_app.version)
    pay_app.refresh_from_db()
    assert (pay_app.number, pay_app.status) == (3, PayApp.Status.UNDER_REVIEW)
    return pay_app


def shot(page: Page, name: str) -> None:
    """Save a documentation screenshot (the 1440×900 viewport) when SITEBILL_SCREENSHOTS is set."""
    folder = os.environ.get("SITEBILL_SCREENSHOTS")
    if not folder:
        return
    target = Path(folder)
    if not target.is_absolute():
        target = REPO / target
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / name))


def log_in(page: Page, email: str, *, password: str = PASSWORD) -> None:
    """Open the login page and log in by typing, as a person would."""
    if "/login/" not in page.url:
        page.goto("/login/")
    expect(page.get_by_role("heading", name="Log in to sitebill")).to_be_visible()
    email_box = page.get_by_label("Email")
    email_box.click()
    email_box.press_sequentially(email)
    password_box = page.get_by_label("Password")
    password_box.click()
    password_box.press_sequentially(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to sitebill")).to_be_visible()
