"""Payments against approved pay apps (DOMAIN.md §2, §4): who records them, what is refused, and
the payment status that follows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sitebill.billing.models import PayApp, Payment
from sitebill.billing.selectors import pay_app_figures
from sitebill.billing.services.pay_apps import pay_app_submit
from sitebill.billing.services.payments import (
    payment_direction,
    payment_record,
    payment_status,
    payments_paid_totals,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests.concurrency.test_races import race
from tests.erp.builders import approved_pay_app, client_contract, draft_pay_app

D = Decimal
PAID_ON = dt.date(2026, 12, 15)


def pay(world, pay_app, amount, *, actor=None, method="check", reference="Check 1042"):
    return payment_record(
        actor=actor or world.admin,
        pay_app=pay_app,
        date=PAID_ON,
        amount=amount,
        method=method,
        reference=reference,
    )


def status_of(pay_app):
    pay_app.refresh_from_db()
    paid = payments_paid_totals([pay_app.pk])[pay_app.pk]
    return payment_status(pay_app, paid, pay_app_figures(pay_app).g702.current_payment_due)


def test_an_admin_records_a_payment_issued_to_the_vendor(world):
    # given an approved pay app with 13,500.00 due
    pay_app = approved_pay_app(world)
    assert pay_app_figures(pay_app).g702.current_payment_due == D("13500.00")
    # when
    payment = pay(world, pay_app, "5000.00")
    # then
    payment.refresh_from_db()
    assert (payment.pay_app, payment.date, payment.amount) == (pay_app, PAID_ON, D("5000.00"))
    assert (payment.method, payment.reference, payment.recorded_by) == (
        "check",
        "Check 1042",
        world.admin,
    )
    assert payment_direction(pay_app) == "issued"
    event = Event.objects.get(target_type="payapp", target_id=pay_app.pk, action="payment_recorded")
    assert event.actor == world.admin
    assert event.changes == {
        "paid_total": ["0.00", "5000.00"],
        "payment_status": ["unpaid", "partially_paid"],
    }
    assert event.reason == "Payment issued: $5,000.00 by Check (Check 1042) on 2026-12-15."


def test_payment_status_goes_from_unpaid_to_partially_paid_to_paid(world):
    # given
    pay_app = approved_pay_app(world)
    assert status_of(pay_app) == "unpaid"
    # when part is paid
    pay(world, pay_app, "13000.00")
    # then
    assert status_of(pay_app) == "partially_paid"
    # when the rest is paid
    pay(world, pay_app, "500.00", method="ach", reference="")
    # then
    assert status_of(pay_app) == "paid"
    assert payments_paid_totals([pay_app.pk]) == {pay_app.pk: D("13500.00")}


def test_an_over_payment_is_refused_and_nothing_is_saved(world):
    # given 13,000.00 of 13,500.00 already paid
    pay_app = approved_pay_app(world)
    pay(world, pay_app, "13000.00")
    events = Event.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refused:
        pay(world, pay_app, "500.01")
    # then
    message = (
        "A payment of $500.01 would bring the total paid to $13,500.01, more than the current "
        "payment due of $13,500.00: at most $500.00 remains to be paid."
    )
    assert refused.value.message == message
    assert refused.value.code == "overpayment"
    assert refused.value.fields == {"amount": [message]}
    assert Payment.objects.filter(pay_app=pay_app).count() == 1
    assert Event.objects.count() == events


def test_nothing_can_be_paid_when_nothing_is_due(world):
    # given an approved pay app that bills nothing this period
    pay_app = approved_pay_app(world, ("0.00", "0.00", "0.00"))
    # then it counts as paid with nothing paid
    assert status_of(pay_app) == "paid"
    # and a payment is refused
    with pytest.raises(ValidationFailed, match=r"Nothing is due on this pay app"):
        pay(world, pay_app, "1.00")
    assert not Payment.objects.exists()


@pytest.mark.parametrize("status", ["draft", "under_review", "pending_owner_approval"])
def test_a_payment_against_an_unapproved_pay_app_is_refused(world, status):
    # given
    if status == "pending_owner_approval":
        pay_app = approved_pay_app(world, status=status)
    else:
        pay_app = draft_pay_app(world)
        if status == "under_review":
            pay_app_submit(actor=world.admin, pay_app=pay_app, version=pay_app.version)
    assert PayApp.objects.get(pk=pay_app.pk).status == status
    # when
    with pytest.raises(Conflict) as refused:
        pay(world, pay_app, "100.00")
    # then
    assert refused.value.code == "not_approved"
    assert "payments are recorded against Approved or Approved as Noted pay apps" in str(
        refused.value
    )
    assert not Payment.objects.exists()
    assert status_of(pay_app) == "unpaid"


def test_approved_as_noted_pay_apps_can_be_paid(world):
    pay_app = approved_pay_app(world, status="approved_as_noted")
    pay(world, pay_app, "13500.00")
    assert status_of(pay_app) == "paid"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0.00", "A payment must be more than zero."),
        ("-5.00", "A payment must be more than zero."),
        ("10.005", 'Enter an amount with at most 2 decimal places, like "1250.00".'),
        ("ten", 'Enter an amount with at most 2 decimal places, like "1250.00".'),
    ],
)
def test_an_amount_that_is_not_a_positive_amount_is_refused(world, amount, message):
    pay_app = approved_pay_app(world)
    with pytest.raises(ValidationFailed) as refused:
        pay(world, pay_app, amount)
    assert refused.value.fields == {"amount": [message]}
    assert not Payment.objects.exists()


def test_a_float_amount_is_refused(world):
    pay_app = approved_pay_app(world)
    with pytest.raises(ValidationFailed) as refused:
        pay(world, pay_app, 100.5)
    assert list(refused.value.fields) == ["amount"]


def test_an_unknown_method_and_a_long_reference_are_each_named(world):
    pay_app = approved_pay_app(world)
    with pytest.raises(ValidationFailed) as refused:
        pay(world, pay_app, "10.00", method="barter", reference="x" * 101)
    assert refused.value.fields == {
        "method": ["Choose a payment method: check, ach, wire, card, other."],
        "reference": ["A reference has at most 100 characters."],
    }
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("other_contact", NotFound),
        ("stranger", NotFound),
    ],
)
def test_only_an_admin_records_payments(world, role, error):
    # given
    pay_app = approved_pay_app(world)
    events = Event.objects.count()
    # when
    with pytest.raises(error):
        pay(world, pay_app, "100.00", actor=world.role(role))
    # then
    assert not Payment.objects.exists()
    assert Event.objects.count() == events


def test_a_payment_received_from_the_client_uses_the_same_service(world):
    # given an approved client pay app: 12,000.00 billed, 10% retained, 10,800.00 due
    contract = client_contract(world)
    pay_app = approved_pay_app(world, ("12000.00", "0.00"), contract=contract)
    assert pay_app_figures(pay_app).g702.current_payment_due == D("10800.00")
    # when
    pay(world, pay_app, "10800.00", method="wire", reference="Wire 77")
    # then
    assert payment_direction(pay_app) == "received"
    assert status_of(pay_app) == "paid"
    event = Event.objects.get(target_id=pay_app.pk, action="payment_recorded")
    assert event.reason == "Payment received: $10,800.00 by Wire (Wire 77) on 2026-12-15."


@pytest.mark.parametrize(
    ("status", "paid", "due", "expected"),
    [
        ("approved", "0.00", "100.00", "unpaid"),
        ("approved", "0.01", "100.00", "partially_paid"),
        ("approved", "99.99", "100.00", "partially_paid"),
        ("approved", "100.00", "100.00", "paid"),
        ("approved", "120.00", "100.00", "paid"),  # due fell after a payment: nothing owed
        ("approved", "0.00", "0.00", "paid"),  # nothing due on an approved pay app
        ("approved_as_noted", "0.00", "-50.00", "paid"),  # a credit: nothing to pay
        ("draft", "0.00", "0.00", "unpaid"),  # not approved: nothing is owed yet
        ("revise_and_resubmit", "50.00", "100.00", "partially_paid"),
    ],
)
def test_payment_status_of_a_paid_total_against_the_current_payment_due(
    status, paid, due, expected
):
    pay_app = PayApp(status=status)
    assert payment_status(pay_app, D(paid), D(due)) == expected


# --- Concurrency: two payments at the same moment ------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_two_payments_at_the_same_moment_cannot_both_overpay(world, trial):
    # given 13,500.00 due, and two admins each paying 8,000.00 of it at once
    pay_app = approved_pay_app(world)
    # when
    results = race(
        lambda: pay(world, pay_app, "8000.00", reference="first"),
        lambda: pay(world, pay_app, "8000.00", reference="second"),
    )
    # then exactly one was recorded, the other refused as an over-payment
    recorded = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert (len(recorded), len(refused)) == (1, 1), results
    assert refused[0].code == "overpayment"
    assert payments_paid_totals([pay_app.pk]) == {pay_app.pk: D("8000.00")}
    assert Event.objects.filter(target_id=pay_app.pk, action="payment_recorded").count() == 1
