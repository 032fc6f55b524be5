"""Scenes of a given size for the query-count tests, built on the `world` fixture
(tests/conftest.py) through the services; the SOV lines and commitments themselves are
bulk-created, since their number is the point and their history is not.

- `commitment_with_lines(world, n)`: a commitment of `n` SOV lines and one approved change order.
- `second_month(world, contract)`: its pay app #2, a Draft with work on every line, after #1
  was billed on every line and approved in period 1 (so D, line 7 and the change-order
  summary all have something to read).
- `commitments(world, n)`: `n` more commitments, each with its own vendor and contact.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from sitebill.accounts.models import Company
from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from sitebill.contracts.models import Contract, SOVLine
from tests import factories
from tests.upstream.builders import approve, lines_of, next_period, refreshed

D = Decimal


def commitment_with_lines(
    world: Any, lines: int, *, number: str = "SC-100", change_order_lines: int = 1
) -> Contract:
    """A commitment with `lines` SOV lines and an approved change order of
    `change_order_lines` lines, the world's contact on it."""
    contract = factories.ContractFactory(
        project=world.project, number=number, title="Site concrete", counterparty=world.vendor
    )
    contract.contacts.add(world.contact)
    SOVLine.objects.bulk_create(
        SOVLine(
            contract=contract,
            position=n,
            item_number=str(n + 1),
            description=f"Concrete work, area {n + 1}",
            cost_code=f"03-{300 + n % 7 * 10}",
            scheduled_value=D("10000.00") + n,
        )
        for n in range(lines)
    )
    change_order = factories.ChangeOrderFactory(contract=contract)
    for _ in range(change_order_lines):
        factories.ChangeOrderLineFactory(change_order=change_order)
    return contract


def bill_every_line(world: Any, pay_app: PayApp, amount: str) -> PayApp:
    """E = `amount` on every line of the pay app, entered by the Admin."""
    pay_app_lines_update(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        changes=[
            LineChange(line_id=line.pk, work_completed_this_period=D(amount))
            for line in lines_of(pay_app)
        ],
    )
    return refreshed(pay_app)


def second_month(world: Any, contract: Contract) -> PayApp:
    """Pay app #2 of `contract`: #1 billed 1,000.00 a line and approved in period 1, then
    period 1 closed, period 2 opened, and #2 created by the contact and billed 500.00 a line."""
    first = pay_app_create(actor=world.admin, contract=contract, billing_period=world.period)
    approve(world, bill_every_line(world, first, "1000.00"))
    period = next_period(world)
    second = pay_app_create(actor=world.contact, contract=contract, billing_period=period)
    return bill_every_line(world, second, "500.00")


def commitments(world: Any, count: int, *, codes: tuple[str, ...] = ("03-300", "26-100")):
    """`count` more commitments of the world's project (SC-200 on), each with its own vendor
    and payment application contact, one SOV line per cost code in `codes`."""
    made = []
    for n in range(count):
        vendor = factories.CompanyFactory(name=f"Vendor {n:03d}", kind=Company.Kind.VENDOR)
        contract = factories.ContractFactory(
            project=world.project, number=f"SC-{200 + n}", counterparty=vendor
        )
        for position, code in enumerate(codes):
            factories.SOVLineFactory(
                contract=contract,
                position=position,
                item_number=str(position + 1),
                cost_code=code,
                scheduled_value=D("20000.00"),
            )
        contract.contacts.add(
            factories.UserFactory(email=f"billing@vendor{n:03d}.example", company=vendor)
        )
        made.append(contract)
    return made


@pytest.fixture
def api() -> Callable[[Any], APIClient]:
    """`api(user)`: an API client authenticated as `user`."""

    def client_for(user: Any) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for
