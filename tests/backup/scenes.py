"""A rich project to back up: the demo project, then one more month of everything.

Built through the services, as users would build it. On top of `load_demo()` (two closed
periods of approved progress billings, an approved and a pending change order, a sliding-scale
subcontract) the open period gets: invites to bill, a vendor's pay app with a lien waiver,
approved as noted with a rejected line, a pay app sent back (Revise & Resubmit) with a rejected
line and a photo, a purchase order billed with stored materials, a Draft deleted again (its
history stays, its target is gone), the MC/Client pay app prefilled from the progress billings,
payments, an accepted ERP export and one still waiting, and a private contract with a viewer.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from sitebill.accounts.models import Project, User
from sitebill.billing.demo import load_demo
from sitebill.billing.models import BillingPeriod, PayApp, PayAppLine
from sitebill.billing.services.attachments import attachment_add
from sitebill.billing.services.invites import invites_send
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_delete,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.billing.services.payments import payment_record
from sitebill.contracts.models import Contract
from sitebill.contracts.services import contract_update
from sitebill.erp.services import erp_accept, erp_send
from sitebill.upstream.services import client_pay_app_create

D = Decimal
NUMBER = "2026-014"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


def rich_project() -> Project:
    today = timezone.localdate()
    project = load_demo(today=today)
    admin = User.objects.get(email="admin@example.com")
    standard = User.objects.get(email="standard@example.com")
    acme_contact = User.objects.get(email="billing@acme.example")
    period = BillingPeriod.objects.get(project=project, status=BillingPeriod.Status.OPEN)
    contracts = {c.number: c for c in Contract.objects.filter(project=project)}
    concrete, electrical = contracts["SC-001"], contracts["SC-002"]
    steel, drywall = contracts["PO-001"], contracts["SC-003"]

    invites_send(actor=admin, period=period, contracts=[concrete, electrical], today=today)

    # Concrete: the vendor bills (accepting the invite), attaches a lien waiver, submits; the
    # admin approves as noted, rejecting one line with a reason.
    acme = pay_app_create(
        actor=acme_contact,
        contract=concrete,
        billing_period=period,
        invoice_number="ACM-0003",
        billing_date=today,
    )
    _bill(acme, acme_contact, {0: "12500.00", 1: "8100.55", 4: "0.01"}, change_orders="1000.00")
    attachment_add(
        actor=acme_contact,
        pay_app=acme,
        file=SimpleUploadedFile("Lien waiver March.pdf", PDF),
        name="Conditional lien waiver",
    )
    acme.refresh_from_db()
    pay_app_submit(actor=acme_contact, pay_app=acme, version=acme.version)
    acme.refresh_from_db()
    rejected = acme.lines.order_by("position", "id")[1]
    pay_app_review(
        actor=admin,
        pay_app=acme,
        version=acme.version,
        status=PayApp.Status.APPROVED_AS_NOTED,
        comment="Layout billed ahead of the survey; approved as noted.",
        lines=[LineReview(line_id=rejected.pk, status="rejected", reason="Survey not done yet.")],
    )

    # Electrical: billed on the vendor's behalf, sent back with a rejected line and a photo.
    bolt = pay_app_create(
        actor=admin,
        contract=electrical,
        billing_period=period,
        on_behalf_of=User.objects.get(email="billing@bolt.example"),
        invoice_number="BOL-0003",
        billing_date=today,
    )
    _bill(bolt, admin, {2: "4300.00", 5: "15000.00"})
    bolt.refresh_from_db()
    pay_app_submit(actor=admin, pay_app=bolt, version=bolt.version)
    bolt.refresh_from_db()
    line = bolt.lines.order_by("position", "id")[5]
    pay_app_review(
        actor=admin,
        pay_app=bolt,
        version=bolt.version,
        status=PayApp.Status.REVISE_AND_RESUBMIT,
        lines=[LineReview(line_id=line.pk, status="rejected", reason="Panel not delivered.")],
    )
    attachment_add(
        actor=admin, pay_app=bolt, file=SimpleUploadedFile("panel.png", PNG), name="Panel photo"
    )

    # Steel: stored materials, approved.
    northside = pay_app_create(
        actor=admin,
        contract=steel,
        billing_period=period,
        invoice_number="NOR-0003",
        billing_date=today,
    )
    _bill(northside, admin, {1: "20000.00"}, stored={2: "35000.00"})
    northside.refresh_from_db()
    pay_app_submit(actor=admin, pay_app=northside, version=northside.version)
    northside.refresh_from_db()
    pay_app_review(actor=admin, pay_app=northside, version=northside.version, status="approved")

    # Drywall: a Draft created by mistake and deleted: its events stay, their target is gone.
    mistake = pay_app_create(actor=admin, contract=drywall, billing_period=period)
    pay_app_delete(actor=admin, pay_app=mistake, version=mistake.version)

    # The MC/Client pay app, prefilled from the period's approved progress billings.
    client_pay_app_create(
        actor=standard,
        contract=contracts["PC-001"],
        billing_period=period,
        prefill=True,
        invoice_number="RMOB-03",
        billing_date=today,
    )

    # Payments on the approved history, and the ERP queue.
    first = PayApp.objects.get(contract=concrete, number=1)
    payment_record(
        actor=admin,
        pay_app=first,
        date=today - dt.timedelta(days=20),
        amount="100000.00",
        method="check",
        reference="Check 10412",
    )
    payment_record(
        actor=admin,
        pay_app=first,
        date=today - dt.timedelta(days=10),
        amount="12.34",
        method="ach",
    )
    payment_record(
        actor=admin,
        pay_app=PayApp.objects.get(contract=steel, number=1),
        date=today - dt.timedelta(days=5),
        amount="1000.00",
        method="wire",
        reference="W-88",
    )
    accepted = erp_send(
        actor=admin,
        project=project,
        format="quickbooks_iif",
        pay_apps=list(
            PayApp.objects.filter(billing_period__number=1, contract__kind="subcontract")
        ),
    )
    erp_accept(actor=admin, export=accepted)
    erp_send(
        actor=admin,
        project=project,
        format="sage300_cre",
        pay_apps=list(PayApp.objects.filter(billing_period__number=2, contract=steel)),
    )

    # A private contract that one Standard user may see.
    contract_update(actor=admin, contract=drywall, private=True)
    drywall.private_viewers.add(standard)
    project.refresh_from_db()
    return project


def _bill(
    pay_app: PayApp,
    actor: User,
    work: dict[int, str],
    *,
    stored: dict[int, str] | None = None,
    change_orders: str | None = None,
) -> None:
    """Bill E on lines by index (and F, and E on every change order line)."""
    pay_app.refresh_from_db()
    lines = list(pay_app.lines.order_by("position", "id"))
    changes = []
    for index, line in enumerate(lines):
        change = LineChange(line_id=line.pk)
        touched = False
        if index in work:
            change.work_completed_this_period = D(work[index])
            touched = True
        if stored and index in stored:
            change.materials_presently_stored = D(stored[index])
            touched = True
        if change_orders is not None and _is_change_order(line):
            amount = D(change_orders) if line.scheduled_value > 0 else D("-" + change_orders)
            change.work_completed_this_period = amount
            touched = True
        if touched:
            changes.append(change)
    pay_app_lines_update(actor=actor, pay_app=pay_app, version=pay_app.version, changes=changes)


def _is_change_order(line: PayAppLine) -> bool:
    return line.change_order_line_id is not None
