"""The payment and ERP parts of other pages: `{% load erp_pages %}`.

- `{% payments_card %}` on the pay app page: its payments, what is paid and still due, the
  payment status, and for Admins on an approved pay app the form to record one.
- `{% erp_card %}` on a progress billing's page, for project members: its ERP status, the
  exports it is in, and for Admins on an Approved pay app the "Send to ERP" form.
- `{% project_admin project as flag %}`: whether the user is an Admin of the project (the
  project header shows the "ERP Exports" tab to Admins only).

Tags, so that the pages that show them need no change: each reads `pay_app` and `request` from
the page's context and loads what it shows itself (a couple of small queries per page).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from sitebill.accounts.access import Role, contract_role, project_role
from sitebill.billing.models import PayApp
from sitebill.billing.selectors import figures_for_lines
from sitebill.billing.services.payments import (
    PAYMENT_STATUS_LABELS,
    payment_direction,
    payment_status,
)
from sitebill.erp.models import ErpExport
from sitebill.web.views.erp import PaymentForm, payment_form_initial

register = template.Library()
ZERO = Decimal("0.00")


@register.inclusion_tag("web/erp/_payments_card.html", takes_context=True)
def payments_card(context: template.Context) -> dict[str, Any]:
    pay_app: PayApp = context["pay_app"]
    role = _role(context, pay_app)
    # Approval sets the certified line 6 and nothing clears it: a pay app without one was never
    # approved, so no payment can exist on it (and none is loaded).
    ever_approved = pay_app.certified_earned_less_retainage is not None
    payments = (
        list(pay_app.payments.select_related("recorded_by").order_by("date", "id"))
        if ever_approved
        else []
    )
    paid = sum((payment.amount for payment in payments), ZERO)
    due = _current_payment_due(context, pay_app) if ever_approved else ZERO
    status = payment_status(pay_app, paid, due)
    remaining = due - paid
    may_record = role == Role.ADMIN and pay_app.is_approved and remaining > ZERO
    return {
        "pay_app": pay_app,
        "ever_approved": ever_approved,
        "payments": payments,
        "paid": paid,
        "current_payment_due": due,
        "remaining": max(remaining, ZERO),
        "payment_status": status,
        "payment_status_label": PAYMENT_STATUS_LABELS[status],
        "direction": payment_direction(pay_app),
        "is_admin": role == Role.ADMIN,
        "may_record": may_record,
        "form": PaymentForm(initial=payment_form_initial(remaining=remaining))
        if may_record
        else None,
        "csrf_token": context.get("csrf_token"),
    }


def _role(context: template.Context, pay_app: PayApp) -> Role:
    """The user's role on the pay app's contract: the page's, or worked out here."""
    role = context.get("role")
    if isinstance(role, Role):
        return role
    return contract_role(context["request"].user, pay_app.contract)


def _current_payment_due(context: template.Context, pay_app: PayApp) -> Decimal:
    """G702 line 8 as saved. An approved pay app cannot be edited, so the page's figures are
    the saved ones; otherwise (the page may show a preview of unsaved edits) they are computed."""
    g702 = context.get("g702")
    if pay_app.is_approved and g702 is not None:
        return Decimal(g702.current_payment_due)
    lines = list(pay_app.lines.order_by("position", "id"))
    return figures_for_lines(pay_app, lines).g702.current_payment_due


@register.inclusion_tag("web/erp/_erp_card.html", takes_context=True)
def erp_card(context: template.Context) -> dict[str, Any]:
    pay_app: PayApp = context["pay_app"]
    contract = pay_app.contract
    role = _role(context, pay_app)
    shown = contract.is_commitment and role >= Role.READ_ONLY
    exports: list[ErpExport] = []
    if shown and pay_app.erp_status:  # never sent: in no export
        exports = list(
            pay_app.erp_exports.select_related("created_by", "decided_by").order_by(
                "-created_at", "-id"
            )
        )
    return {
        "shown": shown,
        "pay_app": pay_app,
        "project": contract.project,
        "exports": exports,
        "is_admin": role == Role.ADMIN,
        "may_send": role == Role.ADMIN and pay_app.is_approved,
        "already_sent": pay_app.erp_status in (PayApp.ErpStatus.READY, PayApp.ErpStatus.EXPORTED),
        "formats": ErpExport.Format.choices,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def project_admin(context: template.Context, project: Any) -> bool:
    request = context.get("request")
    if request is None or project is None:
        return False
    return project_role(request.user, project) == Role.ADMIN
