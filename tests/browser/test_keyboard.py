"""The seeds' workflow with the keyboard alone: no click, no mouse.

`tab_to` presses Tab until the wanted control has focus (and fails if it never gets it), so each
test also proves the control is in the tab order and reachable in a sensible number of steps.
"""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from sitebill.billing.models import PayApp
from sitebill.contracts.models import Contract
from tests.browser.conftest import PASSWORD, Site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80  # the review grid of SC-001 is 26 lines of two tab stops each


def tab_to(page: Page, target: Locator, *, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until `target` has focus; the number of presses."""
    key = "Shift+Tab" if backwards else "Tab"
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            return presses
    focused = page.evaluate(
        "() => { const el = document.activeElement;"
        " return el ? el.outerHTML.slice(0, 200) : 'nothing'; }"
    )
    raise AssertionError(f"{MAX_TABS} presses of {key} never reached {target}; focus: {focused}")


def keyboard_log_in(page: Page, email: str) -> None:
    page.goto("/login/")
    # The email box has autofocus: type at once.
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_the_first_tab_offers_the_skip_link(page: Page, site: Site) -> None:
    keyboard_log_in(page, "admin@example.com")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # a skip link shows itself when focused
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()


def test_an_admin_sends_invites_with_the_keyboard_only(page: Page, site: Site) -> None:
    # given the Admin on the Subcontractor tab (typed address: the keyboard's way there)
    keyboard_log_in(page, "admin@example.com")
    page.goto(f"/projects/{site.project.pk}/progress-billings/")
    # when they tick SC-001 with Space, choose the invoice type with the arrows, press Enter
    sc001 = page.get_by_role("checkbox", name="Select SC-001 Concrete")
    tab_to(page, sc001)
    page.keyboard.press("Space")
    expect(sc001).to_be_checked()
    invoice_type = page.get_by_label("Invoice type")
    tab_to(page, invoice_type, backwards=True)
    page.keyboard.press("ArrowDown")
    expect(invoice_type).to_have_value("work_materials_and_retainage")
    tab_to(page, page.get_by_role("button", name="Send Invites"))
    page.keyboard.press("Enter")
    # then the banner says so and has the focus, ready to be read
    banner = page.get_by_role("status").filter(has_text="1 invite sent.")
    expect(banner).to_be_visible()
    expect(banner).to_be_focused()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="SC-001"))
    expect(row).to_contain_text("Invited")


def test_an_admin_reviews_a_pay_app_with_the_keyboard_only(
    submitted_pay_app: PayApp, page: Page, site: Site
) -> None:
    # given Acme's pay app #3 Under Review
    keyboard_log_in(page, "admin@example.com")
    page.goto(f"/pay-apps/{submitted_pay_app.pk}/")
    expect(page.get_by_text("Approve or reject each line")).to_be_visible()
    # when the Admin approves every line, then rejects line 2 with a reason, by keyboard
    tab_to(page, page.get_by_role("button", name="Approve all lines"), backwards=True)
    page.keyboard.press("Enter")
    line_2 = page.get_by_role("group", name="Line 2 Layout and survey: review")
    approve, reject = (line_2.get_by_role("radio", name=name) for name in ("Approve", "Reject"))
    expect(approve).to_be_checked()
    # Back up the grid to line 2: each line is two tab stops, its radio group (one stop: the
    # checked radio) and its reason.
    tab_to(page, approve, backwards=True)
    page.keyboard.press("ArrowRight")  # the arrows move the choice within the group
    expect(reject).to_be_checked()
    expect(approve).not_to_be_checked()
    page.keyboard.press("Tab")
    reason = page.get_by_label("Line 2 Layout and survey: reason", exact=True)
    expect(reason).to_be_focused()
    page.keyboard.type("Layout is 75% done: bill $3,000.00.")
    outcome = page.get_by_label("Outcome")
    tab_to(page, outcome)
    page.keyboard.press("End")  # a closed select changes with the keys
    expect(outcome).to_have_value("pending_owner_approval")
    page.keyboard.type("Revise")  # and jumps to an option by its first letters
    expect(outcome).to_have_value("revise_and_resubmit")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Overall comment")).to_be_focused()
    page.keyboard.type("Line 2 is ahead of the work on site.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Record review")).to_be_focused()
    page.keyboard.press("Enter")
    # then the pay app goes back to the vendor with that line rejected
    expect(
        page.get_by_role("status").filter(has_text="Review recorded: Revise & Resubmit.")
    ).to_be_visible()
    submitted_pay_app.refresh_from_db()
    assert submitted_pay_app.status == PayApp.Status.REVISE_AND_RESUBMIT
    rejected = submitted_pay_app.lines.filter(review_status="rejected")
    assert [line.item_number for line in rejected] == ["2"]
    assert rejected[0].review_reason == "Layout is 75% done: bill $3,000.00."


def test_a_contact_creates_the_pay_app_with_the_keyboard_only(page: Page, site: Site) -> None:
    """The new pay app form: its fields come in reading order, Enter in a field creates."""
    keyboard_log_in(page, "billing@acme.example")
    contract = Contract.objects.get(number="SC-001")
    page.goto(f"/commitments/{contract.pk}/pay-apps/new/")
    fields = [
        page.get_by_label("Billing period"),
        page.get_by_label("Invoice number"),
        page.get_by_label("Billing date"),
        page.get_by_label("Invoice type"),
        page.get_by_role("button", name="Create pay app"),
    ]
    tab_to(page, fields[0])
    for field in fields[1:]:
        # A date input takes a Tab per part (month, day, year, the picker) before the next field.
        assert tab_to(page, field) <= 4
    tab_to(page, fields[1], backwards=True)
    page.keyboard.type("ACME-0003")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay app #3 · SC-001 Concrete")
    pay_app = PayApp.objects.get(contract=contract, number=3)
    assert (pay_app.invoice_number, pay_app.billing_date) == ("ACME-0003", timezone.localdate())
