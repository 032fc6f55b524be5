"""Payments against pay apps: issued to a vendor (a progress billing) or received from the client
(an MC/Client payment application). DOMAIN.md §2 "Payment", §4 "Record payments: Admin".

Invariants:
- Only a project Admin records a payment (403 for anyone else who may see the pay app, 404 for
  anyone who may not), and only against an Approved or Approved as Noted pay app (409 otherwise):
  an unapproved pay app has no certified amount to pay yet.
- An amount is a positive `Decimal` with at most two places, built from a string.
- No over-payment: the sum of a pay app's payments never exceeds its current payment due (G702
  line 8). The pay app row is locked (`select_for_update`; on SQLite the IMMEDIATE transaction
  does the same) and the payments already recorded are summed in SQL under that lock, so two
  payments recorded at the same moment cannot both pass the check.
- One service for both directions: the direction follows the contract kind (a commitment's pay
  app is paid out, "issued"; a client contract's is paid in, "received").
- Every payment appends a `payment_recorded` Event on the pay app, so it shows in its history.

Payment status (`payment_status`), DOMAIN.md §2 "Unpaid, Partially Paid, Paid":
- "paid" once the payments reach the current payment due (G702 line 8);
- "partially_paid" when something was paid but less than line 8;
- "unpaid" when nothing was paid;
- choice: an Approved pay app whose line 8 is zero or negative (nothing due, or a credit) counts
  as "paid" with nothing paid: nothing is owed on it, so it must not sit in an "unpaid" list
  forever. A pay app that is not approved with nothing paid is "unpaid" whatever its line 8.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.db.models import Sum

from sitebill.accounts.access import Role, require_role
from sitebill.billing.models import PayApp, Payment
from sitebill.billing.selectors import figures_for_lines
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from sitebill.core.money import quantize, to_money

ZERO = Decimal("0.00")

PaymentStatus = Literal["unpaid", "partially_paid", "paid"]
PAYMENT_STATUS_LABELS: dict[str, str] = {
    "unpaid": "Unpaid",
    "partially_paid": "Partially Paid",
    "paid": "Paid",
}
Direction = Literal["issued", "received"]


def payment_direction(pay_app: PayApp) -> Direction:
    """ "issued" (paid to the vendor) for a commitment's pay app, "received" for a client's."""
    return "issued" if pay_app.contract.is_commitment else "received"


def payment_status(pay_app: PayApp, paid_total: Decimal, due: Decimal) -> PaymentStatus:
    """Unpaid, partially paid or paid, from the payments' sum and G702 line 8 (pure: no query).

    See the module docstring for the rule when line 8 is zero or negative.
    """
    if paid_total > ZERO:
        return "paid" if paid_total >= due else "partially_paid"
    if due <= ZERO and pay_app.status in PayApp.APPROVED_STATUSES:
        return "paid"
    return "unpaid"


def payments_paid_totals(pay_app_ids: Iterable[int]) -> dict[int, Decimal]:
    """Σ payments of each pay app, in one query; 0.00 for a pay app without payments."""
    ids = list(dict.fromkeys(pay_app_ids))
    totals = dict.fromkeys(ids, ZERO)
    if ids:
        rows = (
            Payment.objects.filter(pay_app_id__in=ids)
            .values("pay_app_id")
            .annotate(total=Sum("amount"))
            .values_list("pay_app_id", "total")
        )
        for pay_app_id, total in rows:
            totals[pay_app_id] = quantize(Decimal(total))
    return totals


def payment_record(
    *,
    actor: Any,
    pay_app: PayApp,
    date: dt.date,
    amount: Decimal | str,
    method: str,
    reference: str = "",
) -> Payment:
    """Record a payment issued to a vendor, or received from the client, on an approved pay app.

    Refused, saving nothing: 404/403 for a caller who is not a project Admin (see the access
    rules), 409 when the pay app is not Approved or Approved as Noted, 400 naming the field for
    a bad date, amount, method or reference, and 400 on `amount` for an over-payment.
    """
    with transaction.atomic():
        # Lock the pay app: the sum below and the insert are decided under this lock.
        locked = (
            PayApp.objects.select_for_update(of=("self",))
            .select_related("contract", "contract__project")
            .get(pk=pay_app.pk)
        )
        contract = locked.contract
        role = require_role(actor, contract, Role.CONTACT)
        if role != Role.ADMIN:
            raise PermissionDenied("Only an Admin can record payments.")
        value, text = _clean(date=date, amount=amount, method=method, reference=reference)
        if locked.status not in PayApp.APPROVED_STATUSES:
            raise Conflict(
                f"Pay app #{locked.number} is {locked.get_status_display()}: payments are "
                "recorded against Approved or Approved as Noted pay apps only.",
                code="not_approved",
            )
        due = figures_for_lines(
            locked, list(locked.lines.order_by("position", "id"))
        ).g702.current_payment_due
        paid = _paid_under_lock(locked)
        if paid + value > due:
            message = _overpayment_message(paid, value, due)
            raise ValidationFailed(message, code="overpayment", fields={"amount": [message]})
        payment = Payment.objects.create(
            pay_app=locked,
            date=date,
            amount=value,
            method=method,
            reference=text,
            recorded_by=actor,
        )
        record_event(
            actor=actor,
            target=locked,
            action="payment_recorded",
            project=contract.project,
            changes={
                "paid_total": (paid, paid + value),
                "payment_status": (
                    payment_status(locked, paid, due),
                    payment_status(locked, paid + value, due),
                ),
            },
            reason=_event_reason(payment, payment_direction(locked)),
        )
    return payment


def _clean(*, date: Any, amount: Decimal | str, method: str, reference: str) -> tuple[Decimal, str]:
    """The amount as money and the trimmed reference, or ValidationFailed naming each field."""
    errors: dict[str, list[str]] = {}
    value = ZERO
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors["date"] = ["Enter the payment date."]
    try:
        value = to_money(amount)
    except (TypeError, ValueError):
        errors["amount"] = ['Enter an amount with at most 2 decimal places, like "1250.00".']
    else:
        if value <= ZERO:
            errors["amount"] = ["A payment must be more than zero."]
    if method not in Payment.Method.values:
        choices = ", ".join(Payment.Method.values)
        errors["method"] = [f"Choose a payment method: {choices}."]
    text = (reference or "").strip()
    if len(text) > 100:
        errors["reference"] = ["A reference has at most 100 characters."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return value, text


def _paid_under_lock(pay_app: PayApp) -> Decimal:
    total = Payment.objects.filter(pay_app=pay_app).aggregate(total=Sum("amount"))["total"]
    return quantize(Decimal(total)) if total is not None else ZERO


def _overpayment_message(paid: Decimal, amount: Decimal, due: Decimal) -> str:
    if due <= ZERO:
        return (
            f"Nothing is due on this pay app (current payment due {_usd(due)}): no payment "
            "can be recorded against it."
        )
    left = max(due - paid, ZERO)
    return (
        f"A payment of {_usd(amount)} would bring the total paid to {_usd(paid + amount)}, more "
        f"than the current payment due of {_usd(due)}: at most {_usd(left)} remains to be paid."
    )


def _usd(value: Decimal) -> str:
    text = f"${abs(value):,.2f}"
    return f"-{text}" if value < 0 else text


def _event_reason(payment: Payment, direction: Direction) -> str:
    verb = "issued" if direction == "issued" else "received"
    method = Payment.Method(payment.method).label
    reference = f" ({payment.reference})" if payment.reference else ""
    return f"Payment {verb}: {_usd(payment.amount)} by {method}{reference} on {payment.date}."
