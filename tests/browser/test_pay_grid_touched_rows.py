"""The G703 grid sends only the rows someone touched (static/web/pay_grid.js, issue 6).

A 2,000-line grid has 8,000 inputs; the live preview and Save post the rows typed into (and the
rows a refused save drew back, marked `data-pending`), and the server reads a row that is not
sent as unchanged. These tests watch the requests the page makes and what gets saved.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Request, expect

from sitebill.accounts.models import User
from sitebill.billing.models import BillingPeriod, PayApp, PayAppLine
from sitebill.billing.services.pay_apps import pay_app_create
from sitebill.contracts.models import Contract
from tests.browser.conftest import Site, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTACT = "billing@acme.example"


@pytest.fixture
def draft(site: Site) -> PayApp:
    """Acme's pay app #3 of SC-001 (26 lines) for the Open period, a Draft, nothing billed."""
    contract = Contract.objects.get(number="SC-001")
    today = timezone.localdate()
    return pay_app_create(
        actor=User.objects.get(email="admin@example.com"),
        contract=contract,
        billing_period=BillingPeriod.objects.get(project=contract.project, status="open"),
        on_behalf_of=User.objects.get(email=CONTACT),
        invoice_number="ACME-0003",
        billing_date=today,
        today=today,
    )


def lines_of(pay_app: PayApp) -> list[PayAppLine]:
    return list(pay_app.lines.order_by("position", "id"))


def work_cell(page: Page, line: PayAppLine):
    return page.get_by_label(
        f"Line {line.item_number} {line.description}: work completed this period", exact=True
    )


def type_into(page: Page, cell, text: str) -> None:
    cell.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    page.keyboard.press("Tab")


def posted_lines(request: Request) -> set[int]:
    """The ids of the lines a POST carried inputs of."""
    names = {name for name, _ in parse_qsl(request.post_data or "", keep_blank_values=True)}
    return {int(name.split("-")[1]) for name in names if name.startswith("line-")}


def test_the_preview_and_save_send_only_the_rows_typed_into(
    page: Page, site: Site, draft: PayApp
) -> None:
    # given the contact on the Draft, watching the page's POSTs
    lines = lines_of(draft)
    second, fifth = lines[1], lines[4]
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    log_in(page, CONTACT)
    page.goto(f"/pay-apps/{draft.pk}/")
    # when line 2's amount is typed
    type_into(page, work_cell(page, second), "4000")
    # then the live preview answers, from line 2 alone
    expect(page.locator("#t-e")).to_have_text("$4,000.00")
    previews = [request for request in posts if request.url.endswith("/preview/")]
    assert previews and all(posted_lines(request) == {second.pk} for request in previews)
    # when line 5's amount is typed too, and Save pressed
    type_into(page, work_cell(page, fifth), "1500")
    expect(page.locator("#t-e")).to_have_text("$5,500.00")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.get_by_role("status").filter(has_text="saved.")).to_be_visible()
    # then the save carried lines 2 and 5 only, and both are saved
    saves = [request for request in posts if request.url.endswith(f"/pay-apps/{draft.pk}/")]
    assert [posted_lines(request) for request in saves] == [{second.pk, fifth.pk}]
    saved = {line.pk: line.work_completed_this_period for line in lines_of(draft)}
    assert saved[second.pk] == Decimal("4000.00")
    assert saved[fifth.pk] == Decimal("1500.00")
    assert sum(saved.values()) == Decimal("5500.00")


def test_after_a_refused_save_the_rows_it_drew_back_are_sent_again(
    page: Page, site: Site, draft: PayApp
) -> None:
    # given a save refused: line 1 is not an amount, line 3 was fine
    lines = lines_of(draft)
    first, third = lines[0], lines[2]
    log_in(page, CONTACT)
    page.goto(f"/pay-apps/{draft.pk}/")
    type_into(page, work_cell(page, first), "12,3x")
    type_into(page, work_cell(page, third), "2000")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.get_by_text("Nothing was saved: correct the cells marked below.")).to_be_visible()
    expect(work_cell(page, third)).to_have_value("2000")
    # when the contact corrects line 1 only and saves again
    type_into(page, work_cell(page, first), "100")
    page.get_by_role("button", name="Save", exact=True).last.click()
    expect(page.get_by_role("status").filter(has_text="saved.")).to_be_visible()
    # then line 3's amount, typed before the refusal, is saved with line 1's
    saved = {line.pk: line.work_completed_this_period for line in lines_of(draft)}
    assert saved[first.pk] == Decimal("100.00")
    assert saved[third.pk] == Decimal("2000.00")
