"""Reads for billing: pay app figures (G703 rows + G702), latest pay apps, invite statuses.

The figures are always computed from the stored line inputs by the pure module
`sitebill.billing.calculations`; nothing derived is stored, so totals cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from sitebill.billing import calculations as calc
from sitebill.billing.models import BillingPeriod, Invite, PayApp, PayAppLine
from sitebill.contracts.models import Contract
from sitebill.core.money import as_rounding

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Row:
    """A G703 row: the stored line and its computed columns."""

    line: PayAppLine
    result: calc.LineResult


@dataclass(frozen=True)
class Figures:
    pay_app: PayApp
    rows: list[Row]
    g702: calc.G702
    warnings: list[str]

    totals: calc.G703Totals


def line_input(line: PayAppLine) -> calc.LineInput:
    return calc.LineInput(
        scheduled_value=line.scheduled_value,
        work_completed_previous=line.work_completed_previous,
        work_completed_this_period=line.work_completed_this_period,
        materials_presently_stored=line.materials_presently_stored,
        retainage_work_percent=line.retainage_work_percent,
        retainage_stored_percent=line.retainage_stored_percent,
        retainage_released_previous=line.retainage_released_previous,
        retainage_released_this_period=line.retainage_released_this_period,
        previous_retainage_held=line.previous_retainage_held,
        is_change_order=line.change_order_line_id is not None,
        change_order_previous=line.change_order_line_id is not None
        and not line.is_new_change_order,
    )


def rules_of(contract: Contract) -> tuple[calc.RetainageRule, ...]:
    return calc.parse_retainage_rules(contract.retainage_rules or [])


def figures_for_lines(pay_app: PayApp, lines: Sequence[PayAppLine]) -> Figures:
    contract = pay_app.contract
    project = contract.project
    result = calc.compute_pay_app(
        [line_input(line) for line in lines],
        previous_certificates=pay_app.less_previous_certificates,
        rounding=as_rounding(project.rounding),
        retainage_rules=rules_of(contract),
    )
    rows = [Row(line=line, result=r) for line, r in zip(lines, result.lines, strict=True)]
    warnings: list[str] = []
    overbilled = [row.line for row in rows if row.result.overbilled]
    if overbilled and project.overbilling != "allow":
        names = ", ".join(f"{line.item_number} {line.description}" for line in overbilled)
        warnings.append(f"Billed above the scheduled value on: {names}.")
    return Figures(
        pay_app=pay_app, rows=rows, g702=result.g702, totals=result.totals, warnings=warnings
    )


def pay_app_figures(pay_app: PayApp) -> Figures:
    lines = list(pay_app.lines.all())
    return figures_for_lines(pay_app, lines)


def pay_app_with_lines(pay_app_id: int) -> PayApp:
    return (
        PayApp.objects.select_related(
            "contract", "contract__project", "contract__counterparty", "billing_period"
        )
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .get(pk=pay_app_id)
    )


def latest_pay_app(contract: Contract) -> PayApp | None:
    return contract.pay_apps.order_by("-number").first()


def latest_pay_apps(contracts: Iterable[Contract]) -> dict[int, PayApp]:
    """The latest pay app of each contract, in one query."""
    ids = [c.pk for c in contracts]
    out: dict[int, PayApp] = {}
    for pay_app in PayApp.objects.filter(contract_id__in=ids).order_by("contract_id", "number"):
        out[pay_app.contract_id] = pay_app
    return out


def invites_by_contract(period: BillingPeriod) -> dict[int, Invite]:
    return {invite.contract_id: invite for invite in period.invites.all()}


def pay_apps_of_period(period: BillingPeriod) -> QuerySet[PayApp]:
    return period.pay_apps.select_related("contract")
