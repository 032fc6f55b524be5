"""A history entry with many line changes is drawn when someone opens it (htmx, issue 6).

An edit of 2,000 lines records 2,000 changes; the page counts them and fetches their words only
when "N line changes" is opened, here with the keyboard, as a person using it without a mouse.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from sitebill.accounts.models import User
from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from sitebill.contracts.models import Contract
from tests.browser.conftest import Site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTACT = "billing@acme.example"


@pytest.fixture
def edited(site: Site) -> PayApp:
    """Acme's Draft pay app #3 of SC-001 with work billed on its first 10 lines in one edit."""
    contract = Contract.objects.get(number="SC-001")
    contact = User.objects.get(email=CONTACT)
    today = timezone.localdate()
    pay_app = pay_app_create(
        actor=User.objects.get(email="admin@example.com"),
        contract=contract,
        billing_period=BillingPeriod.objects.get(project=contract.project, status="open"),
        on_behalf_of=contact,
        invoice_number="ACME-0003",
        billing_date=today,
        today=today,
    )
    lines = list(pay_app.lines.order_by("position", "id"))[:10]
    pay_app_lines_update(
        actor=contact,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[
            LineChange(line_id=line.pk, work_completed_this_period=Decimal("100.00"))
            for line in lines
        ],
    )
    return pay_app


def test_the_line_changes_of_an_edit_come_when_opened_with_the_keyboard(
    page: Page, site: Site, edited: PayApp
) -> None:
    # given the contact on the pay app, whose history folds the edit's 10 changes
    first = edited.lines.order_by("position", "id").first()
    assert first is not None
    change = f"Line {first.item_number}: E work this period: $0.00 → $100.00"
    log_in(page, CONTACT)
    page.goto(f"/pay-apps/{edited.pk}/")
    folded = page.locator("summary", has_text="10 line changes")
    expect(folded).to_be_visible()
    expect(page.get_by_text(change)).to_have_count(0)

    # when it is opened from the keyboard
    folded.focus()
    with page.expect_response(lambda response: "/history/" in response.url) as answer:
        page.keyboard.press("Enter")

    # then its ten changes are drawn in place
    assert answer.value.status == 200
    items = page.locator("details.history__more li")
    expect(items).to_have_count(10)
    expect(page.get_by_text(change, exact=True)).to_be_visible()
