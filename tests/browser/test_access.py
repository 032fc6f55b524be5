"""Who sees what, in the browser: another vendor's contact and a Read Only user (DOMAIN.md §4)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from sitebill.billing.models import PayApp
from tests.browser.conftest import Site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROJECT = "Riverside Medical Office Building"


def test_a_contact_of_another_vendor_gets_the_404_page_for_an_acme_pay_app(
    page: Page, site: Site
) -> None:
    # given Acme's approved pay app #2 on SC-001
    acme_pay_app = PayApp.objects.get(contract__number="SC-001", number=2)
    # when Bolt Electric's billing contact opens its address
    log_in(page, "billing@bolt.example")
    response = page.goto(f"/pay-apps/{acme_pay_app.pk}/")
    # then the 404 page, which says nothing about the pay app
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_role("main")).not_to_contain_text("Acme")
    expect(page.get_by_role("main")).not_to_contain_text("SC-001")
    # and their own pay app opens from My billing
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My billing").click()
    page.get_by_role("link", name="#2", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay app #2 · SC-002 Electrical")


def test_a_read_only_user_sees_progress_billings_without_checkboxes_or_send_invites(
    page: Page, site: Site
) -> None:
    # given the Read Only user of the demo project
    log_in(page, "readonly@example.com")
    # when they open the Subcontractor tab of Progress Billings
    page.get_by_role("link", name=PROJECT).click()
    page.get_by_role("navigation", name="Project").get_by_role(
        "link", name="Progress Billings"
    ).click()
    expect(page.get_by_role("heading", name="Subcontractor")).to_be_visible()
    # then every invoiceable commitment is listed with its invite status...
    table = page.get_by_role("table")
    for commitment in ("SC-001", "SC-002", "PO-001", "SC-003"):
        expect(table.get_by_role("link", name=commitment)).to_be_visible()
    chips = page.get_by_role("navigation", name="Filter by invite status")
    expect(chips.get_by_role("link", name="Not Invited 3")).to_be_visible()
    # ...and nothing to act with
    expect(page.get_by_role("checkbox")).to_have_count(0)
    expect(page.get_by_role("button", name="Send Invites")).to_have_count(0)
    expect(page.get_by_label("Invoice type")).to_have_count(0)
    expect(page.get_by_role("link", name="Create on behalf")).to_have_count(0)
