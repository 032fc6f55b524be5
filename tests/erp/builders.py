"""Approved pay apps for the payment and ERP tests, built through the services on `world`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sitebill.accounts.models import Company
from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.contracts.models import Contract
from tests import factories

D = Decimal


def approved_pay_app(
    world: Any,
    work: Sequence[str] = ("10000.00", "5000.00", "0.00"),
    *,
    stored: Sequence[str] | None = None,
    contract: Contract | None = None,
    period: BillingPeriod | None = None,
    status: str = "approved",
    invoice_number: str = "INV-1001",
) -> PayApp:
    """A pay app billed with `work` (E per line) and `stored` (F per line), submitted and
    reviewed to `status` by the admin. With the defaults on `world.commitment` (10% retainage):
    G = 15,000.00, retainage 1,500.00, current payment due 13,500.00."""
    pay_app = draft_pay_app(
        world, work, stored=stored, contract=contract, period=period, invoice_number=invoice_number
    )
    pay_app_submit(actor=world.admin, pay_app=pay_app, version=pay_app.version)
    pay_app.refresh_from_db()
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status=status)
    pay_app.refresh_from_db()
    return pay_app


def draft_pay_app(
    world: Any,
    work: Sequence[str] = ("10000.00", "5000.00", "0.00"),
    *,
    stored: Sequence[str] | None = None,
    contract: Contract | None = None,
    period: BillingPeriod | None = None,
    invoice_number: str = "INV-1001",
) -> PayApp:
    pay_app = pay_app_create(
        actor=world.admin,
        contract=contract or world.commitment,
        billing_period=period or world.period,
        invoice_number=invoice_number,
        billing_date=dt.date(2026, 11, 28),
    )
    lines = list(pay_app.lines.order_by("position", "id"))
    changes = [
        LineChange(
            line_id=line.pk,
            work_completed_this_period=D(amount),
            materials_presently_stored=D(stored[i]) if stored else None,
        )
        for i, (line, amount) in enumerate(zip(lines, work, strict=False))
    ]
    pay_app_lines_update(
        actor=world.admin, pay_app=pay_app, version=pay_app.version, changes=changes
    )
    pay_app.refresh_from_db()
    return pay_app


def next_period(world: Any) -> BillingPeriod:
    """Close period 1 and open period 2 (December 2026)."""
    world.period.status = BillingPeriod.Status.CLOSED
    world.period.save(update_fields=["status"])
    return factories.BillingPeriodFactory(
        project=world.project,
        number=2,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )


def client_contract(world: Any) -> Contract:
    """The project's client contract (10% retainage), two lines of 60,000.00 and 40,000.00."""
    client = factories.CompanyFactory(name="Harbor Health", kind=Company.Kind.CLIENT)
    contract = factories.ContractFactory(
        project=world.project,
        kind=Contract.Kind.CLIENT,
        number="PC-001",
        title="Prime contract",
        counterparty=client,
    )
    for position, (value, code) in enumerate([("60000.00", "03"), ("40000.00", "26")]):
        factories.SOVLineFactory(
            contract=contract,
            position=position,
            item_number=str(position + 1),
            cost_code=code,
            scheduled_value=D(value),
        )
    return contract
