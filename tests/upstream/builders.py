"""Building the upstream scenes on the `world` fixture, through the services.

`client_contract(world)` is the contract with the client, with division-level cost codes:

    1  "03"    Concrete (division)        300,000.00
    2  "03-4"  Concrete finishes           50,000.00
    3  "26"    Electrical (division)      100,000.00

`progress_billing(world, commitment, {cost code: (E, F)}, status=...)` creates the period's pay
app on a commitment, bills it and takes it to `status` with the pay app services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sitebill.accounts.models import Company
from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.contracts.models import Contract
from sitebill.contracts.services import contract_create
from tests import factories

D = Decimal
S = PayApp.Status

CLIENT_LINES = [
    {
        "item_number": "1",
        "description": "Concrete",
        "cost_code": "03",
        "scheduled_value": "300000.00",
    },
    {
        "item_number": "2",
        "description": "Concrete finishes",
        "cost_code": "03-4",
        "scheduled_value": "50000.00",
    },
    {
        "item_number": "3",
        "description": "Electrical",
        "cost_code": "26",
        "scheduled_value": "100000.00",
    },
]


def client_contract(world: Any, *, lines: list[dict[str, str]] | None = None, **fields: Any):
    client = Company.objects.filter(kind=Company.Kind.CLIENT).first() or factories.CompanyFactory(
        name="Harbor Health", kind=Company.Kind.CLIENT
    )
    arguments: dict[str, Any] = {
        "actor": world.admin,
        "project": world.project,
        "kind": "client",
        "number": "CC-001",
        "title": "Clinic prime contract",
        "counterparty": client,
        "status": Contract.Status.APPROVED,
        "retainage_work_percent": "5",
        "retainage_stored_percent": "5",
        "lines": CLIENT_LINES if lines is None else lines,
        **fields,
    }
    return contract_create(**arguments)


def electrical_commitment(world: Any) -> Contract:
    """SC-003 Electrical: 26-100 wiring and 31-200 earthwork (no client line takes "31")."""
    vendor = factories.CompanyFactory(name="Volt Works", kind=Company.Kind.VENDOR)
    commitment = factories.ContractFactory(
        project=world.project, number="SC-003", title="Electrical", counterparty=vendor
    )
    for position, (code, description, value) in enumerate(
        [("26-100", "Wiring", "60000.00"), ("31-200", "Trenching", "10000.00")]
    ):
        factories.SOVLineFactory(
            contract=commitment,
            position=position,
            item_number=str(position + 1),
            description=description,
            cost_code=code,
            scheduled_value=D(value),
        )
    return commitment


def lines_of(pay_app: PayApp) -> list[Any]:
    return list(pay_app.lines.order_by("position", "id"))


def progress_billing(
    world: Any,
    commitment: Contract,
    amounts: dict[str, tuple[str, str]],
    *,
    status: str = S.APPROVED,
    period: Any = None,
    released: dict[str, str] | None = None,
) -> PayApp:
    """The period's pay app on `commitment`: E and F by cost code, then taken to `status`."""
    pay_app = pay_app_create(
        actor=world.admin, contract=commitment, billing_period=period or world.period
    )
    changes = [
        LineChange(
            line_id=line.pk,
            work_completed_this_period=D(amounts[line.cost_code][0]),
            materials_presently_stored=D(amounts[line.cost_code][1]),
        )
        for line in lines_of(pay_app)
        if line.cost_code in amounts
    ]
    pay_app_lines_update(actor=world.admin, pay_app=pay_app, version=1, changes=changes)
    if released:
        pay_app.refresh_from_db()
        pay_app_lines_update(
            actor=world.admin,
            pay_app=pay_app,
            version=pay_app.version,
            changes=[
                LineChange(
                    line_id=line.pk, retainage_released_this_period=D(released[line.cost_code])
                )
                for line in lines_of(pay_app)
                if line.cost_code in released
            ],
        )
    if status == S.DRAFT:
        return refreshed(pay_app)
    pay_app_submit(actor=world.admin, pay_app=refreshed(pay_app))
    if status == S.UNDER_REVIEW:
        return refreshed(pay_app)
    pay_app = refreshed(pay_app)
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status=status)
    return refreshed(pay_app)


def refreshed(pay_app: PayApp) -> PayApp:
    pay_app.refresh_from_db()
    return pay_app


def approve(world: Any, pay_app: PayApp) -> PayApp:
    """Submit (if need be) and approve a pay app as the admin."""
    pay_app = refreshed(pay_app)
    if pay_app.status == S.DRAFT:
        pay_app_submit(actor=world.admin, pay_app=pay_app)
        pay_app = refreshed(pay_app)
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status=S.APPROVED)
    return refreshed(pay_app)


def next_period(world: Any) -> Any:
    """Close period 1 and open period 2."""
    world.period.status = "closed"
    world.period.save(update_fields=["status"])
    return factories.BillingPeriodFactory(
        project=world.project,
        number=2,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )


def scene(world: Any) -> dict[str, Any]:
    """The client contract and four progress billings of period 1:

    - SC-001 Concrete, Approved: 03-300 E 10,000; 03-350 E 3,000 F 2,000; 03-400 E 4,000
    - SC-002 Electrical (its one line is coded 03-300), Approved as Noted: E 5,000
    - SC-003 Electrical, Pending Owner Approval: 26-100 E 7,000; 31-200 E 1,500 (unmatched)
    - SC-004, Under Review: 03-300 E 999 (not a source)
    """
    contract = client_contract(world)
    sc3 = electrical_commitment(world)
    sc4 = factories.ContractFactory(project=world.project, number="SC-004", title="Formwork")
    factories.SOVLineFactory(contract=sc4, item_number="1", cost_code="03-300")
    return {
        "contract": contract,
        "sc1": progress_billing(
            world,
            world.commitment,
            {
                "03-300": ("10000.00", "0.00"),
                "03-350": ("3000.00", "2000.00"),
                "03-400": ("4000.00", "0.00"),
            },
        ),
        "sc2": progress_billing(
            world,
            world.other_commitment,
            {"03-300": ("5000.00", "0.00")},
            status=S.APPROVED_AS_NOTED,
        ),
        "sc3": progress_billing(
            world,
            sc3,
            {"26-100": ("7000.00", "0.00"), "31-200": ("1500.00", "0.00")},
            status=S.PENDING_OWNER_APPROVAL,
        ),
        "sc4": progress_billing(world, sc4, {"03-300": ("999.00", "0.00")}, status=S.UNDER_REVIEW),
    }
