"""Pay apps to render, built through the services on the `world` fixture (tests/conftest.py),
and helpers that read the produced documents back (pypdf, csv, openpyxl)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import Figures, pay_app_figures, pay_app_with_lines
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.contracts.models import Contract, SOVLine
from sitebill.documents.pdf import render_pay_app_pdf
from tests import factories


def bill(
    world,
    contract: Contract | None = None,
    *,
    work: dict[int, str],
    stored: dict[int, str] | None = None,
) -> PayApp:
    """The period's Draft on `contract` (the concrete commitment by default), created by the
    Admin on the contact's behalf, with E (and F) entered on the lines at those positions."""
    contract = contract or world.commitment
    pay_app = pay_app_create(
        actor=world.admin,
        contract=contract,
        billing_period=world.period,
        on_behalf_of=contract.contacts.first(),
        invoice_number="INV-1042",
    )
    lines = list(pay_app.lines.order_by("position", "id"))
    stored = stored or {}
    changes = [
        LineChange(
            line_id=lines[position].pk,
            work_completed_this_period=Decimal(work[position]) if position in work else None,
            materials_presently_stored=Decimal(stored[position]) if position in stored else None,
        )
        for position in sorted(set(work) | set(stored))
    ]
    pay_app_lines_update(actor=world.admin, pay_app=pay_app, version=None, changes=changes)
    return PayApp.objects.get(pk=pay_app.pk)


def submit(world, pay_app: PayApp) -> PayApp:
    pay_app_submit(actor=world.admin, pay_app=pay_app)
    return PayApp.objects.get(pk=pay_app.pk)


def review(
    world, pay_app: PayApp, status: str, *, rejected: dict[int, str] | None = None, comment=""
) -> PayApp:
    """The Admin's review: the lines at `rejected`'s positions rejected with those reasons."""
    lines = list(pay_app.lines.order_by("position", "id"))
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        status=status,
        comment=comment,
        lines=[
            LineReview(line_id=lines[position].pk, status="rejected", reason=reason)
            for position, reason in (rejected or {}).items()
        ],
    )
    return PayApp.objects.get(pk=pay_app.pk)


def figures_of(pay_app: PayApp) -> Figures:
    return pay_app_figures(pay_app_with_lines(pay_app.pk))


def pdf_of(pay_app: PayApp) -> bytes:
    loaded = pay_app_with_lines(pay_app.pk)
    return render_pay_app_pdf(
        pay_app_figures(loaded),
        project=loaded.contract.project,
        contract=loaded.contract,
        period=loaded.billing_period,
    )


def pages_of(pdf: bytes) -> list[list[str]]:
    """Each page's text, one stripped line per text line pypdf reads (a cell is a line)."""
    reader = PdfReader(io.BytesIO(pdf))
    return [
        [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        for page in reader.pages
    ]


def words(lines: list[str]) -> str:
    """A page's text with all whitespace runs made one space (wrapped headings read whole)."""
    return " ".join(" ".join(lines).split())


def after(lines: list[str], label: str, count: int = 1) -> list[str]:
    """The `count` lines that follow the line `label` (a label's figure comes right after)."""
    index = lines.index(label)
    return lines[index + 1 : index + 1 + count]


def big_commitment(world, count: int, *, number: str = "SC-500") -> Contract:
    """A commitment of `count` SOV lines (bulk-created), with the world's contact on it."""
    contract = factories.ContractFactory(
        project=world.project, number=number, title="Site concrete", counterparty=world.vendor
    )
    contract.contacts.add(world.contact)
    SOVLine.objects.bulk_create(
        SOVLine(
            contract=contract,
            position=n,
            item_number=f"{n + 1}",
            description=f"Concrete work, area {n + 1}",
            cost_code="03-300",
            scheduled_value=Decimal("1000.00") + n,
        )
        for n in range(count)
    )
    return contract


@pytest.fixture
def approved(world) -> PayApp:
    """Pay app #1 on the concrete commitment (C = 50,000 / 30,000 / 20,000, retainage 10% on
    work and on stored materials), approved: E = 10,000.00 on line 1, E = 3,000.00 and
    F = 2,000.00 on line 2."""
    pay_app = bill(world, work={0: "10000.00", 1: "3000.00"}, stored={1: "2000.00"})
    return review(world, submit(world, pay_app), PayApp.Status.APPROVED)


@pytest.fixture
def rejected(world) -> PayApp:
    """The same billing sent back: line 2 rejected with a reason."""
    pay_app = bill(world, work={0: "10000.00", 1: "3000.00"}, stored={1: "2000.00"})
    return review(
        world,
        submit(world, pay_app),
        PayApp.Status.REVISE_AND_RESUBMIT,
        rejected={1: "Stored rebar not on site at the Nov 28 walk; bill it when delivered."},
        comment="Line 2 is ahead of the work.",
    )


REJECTED = PayAppLine.ReviewStatus.REJECTED


def g703_body(page: list[str]) -> list[str]:
    """A continuation page's lines after its header rows (the last heading is RETAINAGE)."""
    return page[page.index("RETAINAGE") + 1 :]
