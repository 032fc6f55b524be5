"""Reads for the ERP queue: the bills of pay apps, and the exports a project holds."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from sitebill.accounts.models import Project
from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import figures_for_lines
from sitebill.erp.bills import Bill, BillLine
from sitebill.erp.models import ErpExport

ZERO = Decimal("0.00")


def erp_exports_of(project: Project) -> QuerySet[ErpExport]:
    """The project's exports, newest first, with what a row shows."""
    return (
        ErpExport.objects.filter(project=project)
        .select_related("created_by", "decided_by")
        .prefetch_related(
            Prefetch(
                "pay_apps",
                queryset=PayApp.objects.select_related(
                    "contract", "contract__counterparty"
                ).order_by("contract__number", "number"),
            )
        )
        .order_by("-created_at", "-id")
    )


def erp_bill(pay_app: PayApp) -> Bill:
    """The bill of one pay app (see `sitebill.erp.bills` for the amounts). Three queries."""
    contract = pay_app.contract
    lines = list(pay_app.lines.order_by("position", "id"))
    figures = figures_for_lines(pay_app, lines)
    previous_g = _previous_totals(pay_app)
    bill_lines = []
    for row in figures.rows:
        line, result = row.line, row.result
        before = previous_g.get(_identity(line))
        # F carried in = previous G − D: the previous F under the AIA rule, 0 when the project
        # moves stored materials into D. Without a previous line nothing was carried in.
        carried_in = (before - result.work_completed_previous) if before is not None else ZERO
        bill_lines.append(
            BillLine(
                item_number=line.item_number,
                description=line.description,
                cost_code=line.cost_code,
                work_this_period=result.work_completed_this_period,
                new_stored_materials=result.materials_presently_stored - carried_in,
                retainage_this_period=result.retainage_this_period,
            )
        )
    return Bill(
        pay_app_id=pay_app.pk,
        pay_app_number=pay_app.number,
        vendor=contract.counterparty.name,
        invoice_number=pay_app.invoice_number or f"SB-{pay_app.pk}",
        billing_date=pay_app.billing_date or pay_app.billing_period.end_date,
        accounting_date=pay_app.billing_period.end_date,
        project_number=contract.project.number,
        commitment_number=contract.number,
        commitment_kind=contract.kind,
        period_number=pay_app.billing_period.number,
        current_payment_due=figures.g702.current_payment_due,
        lines=tuple(bill_lines),
    )


def erp_bills(pay_apps: Sequence[PayApp]) -> list[Bill]:
    return [erp_bill(pay_app) for pay_app in pay_apps]


def _identity(line: PayAppLine) -> tuple[str, int | None]:
    """What a line is across pay apps: its SOV line, or its change order line."""
    if line.change_order_line_id is not None:
        return ("change_order_line", line.change_order_line_id)
    return ("sov_line", line.sov_line_id)


def _previous_totals(pay_app: PayApp) -> dict[tuple[str, int | None], Decimal]:
    """G (D + E + F) of each line of the commitment's previous pay app, by line identity."""
    rows = PayAppLine.objects.filter(
        pay_app__contract_id=pay_app.contract_id, pay_app__number=pay_app.number - 1
    )
    return {
        _identity(line): line.work_completed_previous
        + line.work_completed_this_period
        + line.materials_presently_stored
        for line in rows
    }
