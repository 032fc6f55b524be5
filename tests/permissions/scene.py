"""One scene for the permission matrix: `world` (tests/conftest.py) plus everything a route
needs an id of, built through the services."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Sum

from sitebill.accounts.models import Membership, User
from sitebill.billing.models import (
    Attachment,
    BillingPeriod,
    Invite,
    PayApp,
    PayAppLine,
    Payment,
)
from sitebill.billing.services.invites import invite_link_token, invites_send
from sitebill.billing.services.pay_apps import pay_app_create
from sitebill.billing.services.payments import payment_record
from sitebill.contracts.models import ChangeOrder, Contract, SOVLine
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport
from sitebill.erp.services import erp_accept, erp_send
from sitebill.notifications.models import OutboxEmail
from sitebill.upstream.services import client_pay_app_create
from tests import factories
from tests.conftest import World, build_world
from tests.erp.builders import approved_pay_app, client_contract

ROLES = [
    "admin",
    "standard",
    "read_only",
    "contact",
    "other_contact",
    "stranger",
    "other_project",
    "anonymous",
]


@dataclass
class Scene:
    world: World
    other_project_admin: User
    draft: PayApp
    approved: PayApp
    client_contract: Contract
    client_pay_app: PayApp
    invite: Invite
    token: str
    export: ErpExport
    change_order: ChangeOrder
    attachment: Attachment
    message: OutboxEmail

    def user(self, role: str) -> User | None:
        if role == "anonymous":
            return None
        if role == "other_project":
            return User.objects.get(pk=self.other_project_admin.pk)
        return User.objects.get(pk=getattr(self.world, role).pk)


def build_scene() -> Scene:
    world = build_world()
    # A user of another project: Admin there, nothing here.
    elsewhere = factories.ProjectFactory(name="Hilltop School")
    other_project_admin = factories.UserFactory(email="admin@hilltop.example")
    Membership.objects.create(
        user=other_project_admin, project=elsewhere, permission=Membership.Permission.ADMIN
    )
    # A second commitment of the same vendor, billed, approved, paid and sent to the ERP.
    billed = factories.ContractFactory(
        project=world.project, number="SC-003", title="Rebar", counterparty=world.vendor
    )
    for position, code in enumerate(["03-200", "03-210", "03-220"]):
        factories.SOVLineFactory(
            contract=billed,
            position=position,
            item_number=str(position + 1),
            cost_code=code,
            scheduled_value=Decimal("20000.00"),
        )
    billed.contacts.add(world.contact)
    approved = approved_pay_app(world, ("10000.00", "5000.00", "0.00"), contract=billed)
    payment_record(
        actor=world.admin,
        pay_app=approved,
        date=dt.date(2026, 12, 5),
        amount="1000.00",
        method="check",
        reference="CHK-1",
    )
    export = erp_send(
        actor=world.admin, project=world.project, format="quickbooks_iif", pay_apps=[approved]
    )
    export = erp_accept(actor=world.admin, export=export)
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get(contract=world.commitment, billing_period=world.period)
    # The pay app under test: a Draft on world.commitment, the contact's own commitment.
    draft = pay_app_create(
        actor=world.admin,
        contract=world.commitment,
        billing_period=world.period,
        invoice_number="INV-2001",
        billing_date=dt.date(2026, 11, 28),
    )
    attachment = Attachment.objects.create(
        pay_app=draft,
        file=ContentFile(b"%PDF-1.4\n%%EOF\n", name="lien-waiver.pdf"),
        name="lien-waiver.pdf",
        uploaded_by=world.admin,
    )
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, status=ChangeOrder.Status.DRAFT
    )
    factories.ChangeOrderLineFactory(change_order=change_order)
    token = invite_link_token(invite, "accept")
    client = client_contract(world)
    client_pay_app = client_pay_app_create(
        actor=world.admin, contract=client, billing_period=world.period
    )
    message = OutboxEmail.objects.create(
        to=world.contact.email, subject="Riverside Clinic: invited to bill.", body="Hello."
    )
    return Scene(
        world=world,
        other_project_admin=other_project_admin,
        draft=draft,
        approved=approved,
        client_contract=client,
        client_pay_app=client_pay_app,
        invite=invite,
        token=token,
        export=export,
        change_order=change_order,
        attachment=attachment,
        message=message,
    )


def snapshot() -> dict[str, Any]:
    """Everything a refused write must leave as it was."""
    sums = PayAppLine.objects.aggregate(
        e=Sum("work_completed_this_period"), f=Sum("materials_presently_stored")
    )
    return {
        "pay_apps": PayApp.objects.count(),
        "pay_app_states": sorted(PayApp.objects.values_list("pk", "status", "version")),
        "pay_app_lines": PayAppLine.objects.count(),
        "line_sums": sums,
        "invites": sorted(Invite.objects.values_list("pk", "status")),
        "events": Event.objects.count(),
        "payments": Payment.objects.count(),
        "erp_exports": sorted(ErpExport.objects.values_list("pk", "status")),
        "contracts": Contract.objects.count(),
        "change_orders": sorted(ChangeOrder.objects.values_list("pk", "status")),
        "sov_lines": SOVLine.objects.count(),
        "periods": sorted(BillingPeriod.objects.values_list("pk", "status")),
        "memberships": Membership.objects.count(),
        "outbox": OutboxEmail.objects.count(),
        "attachments": Attachment.objects.count(),
    }
