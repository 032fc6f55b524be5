"""The payment and ERP pages: the pay app page's Payments and ERP cards, and the project's ERP
Exports page (Admins)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from sitebill.billing.models import PayApp, Payment
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport
from sitebill.erp.services import erp_accept, erp_send
from tests.erp.builders import approved_pay_app, draft_pay_app
from tests.erp.parsing import parse_iif

D = Decimal


def pay_app_url(pay_app):
    return f"/pay-apps/{pay_app.pk}/"


def exports_url(world):
    return f"/projects/{world.project.pk}/erp-exports/"


def queued(world, *pay_apps):
    return erp_send(
        actor=world.admin, project=world.project, format="quickbooks_iif", pay_apps=list(pay_apps)
    )


# --- The Payments card ----------------------------------------------------------------------------


def test_an_admin_sees_what_is_due_and_a_form_to_record_a_payment(login, world):
    # given an approved pay app with 13,500.00 due
    pay_app = approved_pay_app(world)
    # when
    response = login("admin").get(pay_app_url(pay_app))
    # then
    assertContains(response, '<h2 id="payments-title">Payments</h2>', html=True)
    assertContains(response, "<dt>Current payment due</dt><dd>$13,500.00</dd>", html=True)
    assertContains(response, "<dt>Remaining</dt><dd>$13,500.00</dd>", html=True)
    assertContains(response, 'name="amount" value="13,500.00"')
    assertContains(response, "Record payment")
    assertContains(response, '<p class="empty">No payments recorded.</p>', html=True)


def test_recording_a_payment_from_the_pay_app_page(login, world):
    # given
    pay_app = approved_pay_app(world)
    client = login("admin")
    # when
    response = client.post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "5,000.00", "method": "ach", "reference": "ACH 9"},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == f"/pay-apps/{pay_app.pk}/#payments-title"
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.date) == (
        D("5000.00"),
        "ach",
        dt.date(2026, 12, 15),
    )
    page = client.get(pay_app_url(pay_app))
    assertContains(page, "Payment of $5,000.00 recorded on Dec 15, 2026.")
    assertContains(page, "<dt>Paid</dt><dd>$5,000.00</dd>", html=True)
    assertContains(page, '<span class="pill pill--partially-paid">Partially Paid</span>', html=True)
    assertContains(page, "<td>ACH 9</td>", html=True)


def test_an_over_payment_is_shown_next_to_the_amount_and_nothing_is_saved(login, world):
    pay_app = approved_pay_app(world)
    response = login("admin").post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "14000.00", "method": "check"},
    )
    assert response.status_code == 400
    assertContains(
        response,
        "A payment of $14,000.00 would bring the total paid to $14,000.00, more than the "
        "current payment due of $13,500.00: at most $13,500.00 remains to be paid.",
        status_code=400,
    )
    assertContains(response, 'value="14000.00"', status_code=400)  # what was typed is kept
    assert not Payment.objects.exists()


def test_a_payment_on_an_unapproved_pay_app_is_a_conflict_page(login, world):
    pay_app = draft_pay_app(world)
    response = login("admin").post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "10.00", "method": "check"},
    )
    assert response.status_code == 409
    assertContains(response, "payments are recorded against Approved", status_code=409)
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("standard", 403), ("read_only", 403), ("contact", 403), ("stranger", 404)],
)
def test_only_admins_record_payments(login, world, role, status):
    pay_app = approved_pay_app(world)
    response = login(role).post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "10.00", "method": "check"},
    )
    assert response.status_code == status
    assert not Payment.objects.exists()


def test_the_vendor_sees_its_payments_but_no_form(login, world):
    pay_app = approved_pay_app(world)
    admin = login("admin")
    admin.post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "13500.00", "method": "wire", "reference": "W-1"},
    )
    response = login("contact").get(pay_app_url(pay_app))
    assertContains(response, "<td>W-1</td>", html=True)
    assertContains(response, '<span class="pill pill--paid">Paid</span>', html=True)
    assertNotContains(response, "Record payment")
    assertNotContains(response, 'id="erp-title"')  # the ERP card is the contractor's


def test_a_draft_says_when_payments_can_be_recorded(login, world):
    response = login("admin").get(pay_app_url(draft_pay_app(world)))
    assertContains(response, "Payments are recorded once the pay app is Approved")
    assertNotContains(response, "Record payment")


# --- The ERP card ---------------------------------------------------------------------------------


def test_an_admin_sends_an_approved_pay_app_to_the_erp_from_its_page(login, world):
    # given
    pay_app = approved_pay_app(world)
    client = login("admin")
    page = client.get(pay_app_url(pay_app))
    assertContains(
        page, '<dt>ERP status</dt><dd><span class="muted">Not sent</span></dd>', html=True
    )
    assertContains(page, "Send to ERP")
    # when
    response = client.post(
        f"/projects/{world.project.pk}/erp-exports/send/",
        {"format": "sage300_cre", "pay_apps": [pay_app.pk]},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == exports_url(world)
    export = ErpExport.objects.get()
    assert (export.format, list(export.pay_apps.all())) == ("sage300_cre", [pay_app])
    page = client.get(pay_app_url(pay_app))
    assertContains(
        page, '<span class="pill pill--ready-to-export">Ready to Export</span>', html=True
    )
    assertContains(page, "Send again on purpose")


@pytest.mark.parametrize("role", ["standard", "read_only"])
def test_members_see_the_erp_status_but_cannot_send(login, world, role):
    pay_app = approved_pay_app(world)
    response = login(role).get(pay_app_url(pay_app))
    assertContains(response, 'id="erp-title"')
    assertNotContains(response, "Send to ERP")


def test_an_unapproved_pay_app_has_no_send_button(login, world):
    response = login("admin").get(pay_app_url(draft_pay_app(world)))
    assertNotContains(response, "Send to ERP")


# --- The ERP Exports page -------------------------------------------------------------------------


def test_the_erp_exports_tab_is_for_admins(login, world):
    tab = f'<a href="{exports_url(world)}">ERP Exports</a>'
    assertContains(login("admin").get(f"/projects/{world.project.pk}/"), tab, html=True)
    assertNotContains(login("standard").get(f"/projects/{world.project.pk}/"), "ERP Exports")


@pytest.mark.parametrize(
    ("role", "status"),
    [("standard", 403), ("read_only", 403), ("contact", 403), ("stranger", 404)],
)
def test_the_erp_exports_page_is_for_admins(login, world, role, status):
    assert login(role).get(exports_url(world)).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get(exports_url(world))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_lists_exports_and_what_can_be_sent(login, world):
    # given one export waiting, and one more approved pay app not sent
    waiting = approved_pay_app(world)
    export = queued(world, waiting)
    approved_pay_app(world, ("1000.00",), contract=world.other_commitment)
    # when
    response = login("admin").get(exports_url(world))
    # then
    assertContains(
        response,
        f'<a href="{exports_url(world)}" aria-current="page">ERP Exports</a>',
        html=True,
    )
    assertContains(response, "QuickBooks Desktop (IIF)")
    assertContains(response, f'<a href="/pay-apps/{waiting.pk}/">SC-001 #1</a>', html=True)
    assertContains(
        response,
        '<button type="submit" class="button button--small button--primary">Accept</button>',
        html=True,
    )
    assertContains(response, f'id="reject-{export.pk}-reason"')
    assertContains(response, "SC-002 Electrical")  # can be sent
    assertContains(response, '<td class="num">$900.00</td>', html=True)


def test_sending_nothing_says_so(login, world):
    approved_pay_app(world)
    response = login("admin").post(
        f"/projects/{world.project.pk}/erp-exports/send/", {"format": "quickbooks_iif"}
    )
    assert response.status_code == 400
    assertContains(response, "Choose at least one pay app.", status_code=400)
    assert not ErpExport.objects.exists()


def test_sending_twice_shows_the_conflict(login, world):
    pay_app = approved_pay_app(world)
    queued(world, pay_app)
    response = login("admin").post(
        f"/projects/{world.project.pk}/erp-exports/send/",
        {"format": "quickbooks_iif", "pay_apps": [pay_app.pk]},
    )
    assert response.status_code == 409
    assertContains(response, "SC-001 pay app #1 is already Ready to Export", status_code=409)
    assert ErpExport.objects.count() == 1


def test_accepting_and_downloading_the_file(login, world):
    # given
    export = queued(world, approved_pay_app(world))
    client = login("admin")
    # when
    response = client.post(f"{exports_url(world)}{export.pk}/accept/")
    # then
    assert response.status_code == 302
    export.refresh_from_db()
    page = client.get(exports_url(world))
    assertContains(page, f"Export {export.pk} accepted: {export.file_name} is ready.")
    assertContains(page, f"Download {export.file_name}")
    file = client.get(f"{exports_url(world)}{export.pk}/file/")
    assert file.status_code == 200
    assert file["Content-Disposition"] == f'attachment; filename="{export.file_name}"'
    assert parse_iif(file.content.decode("cp1252"))[0].total == D("0.00")


def test_accepting_an_export_already_decided_shows_the_conflict(login, world):
    export = queued(world, approved_pay_app(world))
    erp_accept(actor=world.admin, export=export)
    response = login("admin").post(f"{exports_url(world)}{export.pk}/accept/")
    assert response.status_code == 409
    assertContains(response, "This export was already exported", status_code=409)


def test_rejecting_needs_a_reason_then_returns_the_pay_app_to_revise_and_resubmit(login, world):
    # given
    pay_app = approved_pay_app(world)
    export = queued(world, pay_app)
    client = login("admin")
    # when no reason is given
    refused = client.post(f"{exports_url(world)}{export.pk}/reject/", {"reason": ""})
    # then
    assert refused.status_code == 400
    assertContains(refused, "Give a reason", status_code=400)
    assert PayApp.objects.get(pk=pay_app.pk).status == "approved"
    # when a reason is given
    response = client.post(f"{exports_url(world)}{export.pk}/reject/", {"reason": "Wrong job"})
    # then
    assert response.status_code == 302
    pay_app.refresh_from_db()
    assert (pay_app.status, pay_app.erp_status) == ("revise_and_resubmit", "rejected")
    assert Event.objects.filter(target_id=pay_app.pk, action="status_corrected").exists()
    page = client.get(pay_app_url(pay_app))
    assertContains(page, f"Rejected from ERP export {export.pk}: Wrong job")


def test_a_file_before_acceptance_is_not_found(login, world):
    export = queued(world, approved_pay_app(world))
    assert login("admin").get(f"{exports_url(world)}{export.pk}/file/").status_code == 404


# --- The pay app list ---------------------------------------------------------------------------


def test_the_pay_app_list_shows_the_payment_status(login, world):
    pay_app = approved_pay_app(world)
    client = login("admin")
    client.post(
        f"/pay-apps/{pay_app.pk}/payments/",
        {"date": "2026-12-15", "amount": "13500.00", "method": "check"},
    )
    response = client.get(f"/projects/{world.project.pk}/pay-apps/")
    assertContains(response, '<th scope="col">Payment</th>', html=True)
    assertContains(
        response,
        '<td class="nowrap"><span class="pill pill--paid">Paid</span></td>',
        html=True,
    )
