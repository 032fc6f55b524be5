"""The dashboard's scene on the `world` fixture, built through the services.

Period 1 (Nov 2026):
- SC-001 Concrete (100,000.00, 10% retainage): pay app #1 Approved, E 10,000 + 5,000:
  G 15,000.00, retainage 1,500.00, due 13,500.00; a payment of 10,000.00 by check.
- SC-002 Electrical (40,000.00): pay app #1 Approved, E 4,000: G 4,000.00, retainage 400.00.
- PC-001 Prime contract (client, 100,000.00, 10%): pay app #1 Approved, E 12,000 + 8,000:
  G 20,000.00, retainage 2,000.00, due 18,000.00, received in full.
Period 2 (Dec 2026):
- SC-001 #2 Approved, E 5,000 + 5,000 + 2,000: G 27,000.00, retainage 2,700.00.
- SC-002 #2 Draft, E 1,000: billed 5,000.00, but approved to date stays 4,000.00.
- PC-001 bills nothing: the chart carries its 20,000.00 forward.
Then an approved change order of +5,000.00 on SC-001: contract value 105,000.00.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.services.payments import payment_record
from sitebill.contracts.models import Contract
from sitebill.contracts.services import change_order_create
from tests.erp.builders import approved_pay_app, client_contract, draft_pay_app, next_period

D = Decimal


@dataclass
class Scene:
    client_contract: Contract
    period_2: BillingPeriod
    sc1_first: PayApp
    sc1_second: PayApp
    sc2_first: PayApp
    sc2_second: PayApp
    client_first: PayApp


def build(world: Any) -> Scene:
    client = client_contract(world)
    sc1_first = approved_pay_app(world, ("10000.00", "5000.00", "0.00"))
    sc2_first = approved_pay_app(
        world, ("4000.00",), contract=world.other_commitment, invoice_number="BE-1"
    )
    client_first = approved_pay_app(
        world, ("12000.00", "8000.00"), contract=client, invoice_number="PC-1"
    )
    payment_record(
        actor=world.admin,
        pay_app=sc1_first,
        date=dt.date(2026, 12, 10),
        amount="10000.00",
        method="check",
        reference="CHK-501",
    )
    payment_record(
        actor=world.admin,
        pay_app=client_first,
        date=dt.date(2026, 12, 12),
        amount="18000.00",
        method="wire",
    )
    period_2 = next_period(world)
    sc1_second = approved_pay_app(
        world, ("5000.00", "5000.00", "2000.00"), period=period_2, invoice_number="INV-1002"
    )
    sc2_second = draft_pay_app(
        world, ("1000.00",), contract=world.other_commitment, period=period_2, invoice_number="BE-2"
    )
    change_order_create(
        actor=world.admin,
        contract=world.commitment,
        number="CO-1",
        title="Extra footing",
        status="approved",
        lines=[
            {
                "item_number": "CO-1.1",
                "description": "Extra footing",
                "cost_code": "03-300",
                "amount": "5000.00",
            }
        ],
    )
    return Scene(
        client_contract=client,
        period_2=period_2,
        sc1_first=sc1_first,
        sc1_second=sc1_second,
        sc2_first=sc2_first,
        sc2_second=sc2_second,
        client_first=client_first,
    )
