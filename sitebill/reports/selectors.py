"""The project dashboard: per contract, what it is worth, what was billed, held, paid and left.

Who sees it (DOMAIN.md §4): project members (Read Only, Standard, Admin). A payment application
contact, like a stranger, gets "not found" (`access_dashboard`): the dashboard adds up every
vendor's figures. Rows are the contracts `contracts_for_user` lets the reader see, so a private
commitment is left out (rows and totals alike) for a reader who may not see it.

Figures of one contract (commitment or client contract):
- contract value: Σ original SOV + Σ approved change orders, as `contracts_with_values` says
  (DOMAIN.md §5.3 lines 1 to 3, as of now).
- billed to date: G (total completed and stored to date, G702 line 4) of the contract's latest
  pay app, whatever its status (a Draft counts: it is what the vendor is billing now).
- approved to date: G of its latest Approved or Approved as Noted pay app
  (`PayApp.APPROVED_STATUSES`; Pending Owner Approval is not approved yet).
- retainage held: G702 line 5 (total retainage, after releases) of that latest approved pay app.
- paid: Σ payments recorded on any of its pay apps (issued to the vendor, or received from the
  client).
- balance to finish: contract value − billed to date.
Commitments have a totals row; client contracts are shown apart (receivable, not payable), with
their own totals.

Billed to date by period (the chart): for each billing period, Σ over the visible commitments of
G of the commitment's latest approved pay app in that period or before it, and the same over the
client contracts. Approved statuses only: the chart shows certified progress, which never moves
back when a draft is edited. A contract that skipped a period counts with its last approved G,
so the line does not drop because a vendor did not bill that month. The periods shown run from
the project's first period to the last one holding an approved pay app; none: no chart.

Cost: a constant number of queries whatever the number of contracts and pay apps. Contracts with
values (2 queries, one per side), their pay apps (1), the lines of the latest and latest approved
pay app of each contract (1, figures computed in Python by `figures_for_lines`), payments summed
per contract (1), G of every approved pay app summed per pay app (1: G = D + E + F is a plain
sum of stored, already rounded amounts, DOMAIN.md §5.1, so the database's sum is exactly
`calculations`' G; the tests tie the two), the project's periods (1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, F, Sum

from sitebill.accounts.access import Role, access_project, project_role
from sitebill.accounts.models import Project
from sitebill.billing.models import BillingPeriod, PayApp, PayAppLine, Payment
from sitebill.billing.selectors import figures_for_lines
from sitebill.contracts.models import Contract
from sitebill.contracts.selectors import KindGroup, contracts_with_values
from sitebill.core.exceptions import NotFound
from sitebill.core.money import quantize

ZERO = Decimal("0.00")
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)


def access_dashboard(user: Any, project_id: Any) -> Project:
    """The project, for a member of it (Read Only and up); `NotFound` for anyone else.

    A contact may open the project's pages but not its dashboard: it is told "not found", like
    a stranger, rather than "forbidden", which would tell it the dashboard exists for others.
    """
    project = access_project(user, project_id)
    if project_role(user, project) < Role.READ_ONLY:
        raise NotFound("Project not found.")
    return project


@dataclass(frozen=True)
class ContractFigures:
    """One row of the dashboard: a contract and its figures (see the module docstring)."""

    contract: Contract
    contract_value: Decimal
    billed_to_date: Decimal
    latest_pay_app: PayApp | None
    approved_to_date: Decimal
    latest_approved_pay_app: PayApp | None
    retainage_held: Decimal
    paid: Decimal

    @property
    def balance_to_finish(self) -> Decimal:
        return self.contract_value - self.billed_to_date


@dataclass(frozen=True)
class Totals:
    """Σ of each money column over a group of rows."""

    contract_value: Decimal = ZERO
    billed_to_date: Decimal = ZERO
    approved_to_date: Decimal = ZERO
    retainage_held: Decimal = ZERO
    paid: Decimal = ZERO
    balance_to_finish: Decimal = ZERO

    @classmethod
    def of(cls, rows: Iterable[ContractFigures]) -> Totals:
        rows = list(rows)
        return cls(
            contract_value=sum((r.contract_value for r in rows), ZERO),
            billed_to_date=sum((r.billed_to_date for r in rows), ZERO),
            approved_to_date=sum((r.approved_to_date for r in rows), ZERO),
            retainage_held=sum((r.retainage_held for r in rows), ZERO),
            paid=sum((r.paid for r in rows), ZERO),
            balance_to_finish=sum((r.balance_to_finish for r in rows), ZERO),
        )


@dataclass(frozen=True)
class PeriodBilled:
    """Billed to date (approved) at the end of one billing period, on each side."""

    period: BillingPeriod
    commitments: Decimal  # payable
    client: Decimal  # receivable


@dataclass(frozen=True)
class Dashboard:
    project: Project
    commitments: list[ContractFigures]
    commitments_total: Totals
    client_contracts: list[ContractFigures]
    client_total: Totals
    periods: list[PeriodBilled]

    @property
    def has_client_contracts(self) -> bool:
        return bool(self.client_contracts)


def project_dashboard(*, user: Any, project: Project) -> Dashboard:
    """The dashboard of `project` as `user` may see it (`project` from `access_dashboard`)."""
    commitments = _contracts(user=user, project=project, kind_group="commitments")
    clients = _contracts(user=user, project=project, kind_group="client_contracts")
    contracts = {c.pk: c for c in [*commitments, *clients]}

    pay_apps_by_contract: dict[int, list[PayApp]] = defaultdict(list)
    pay_apps = (
        PayApp.objects.filter(contract_id__in=list(contracts))
        .select_related("billing_period")
        .order_by("contract_id", "number")
    )
    for pay_app in pay_apps:
        pay_app.contract = contracts[pay_app.contract_id]  # no query per pay app for its contract
        pay_apps_by_contract[pay_app.contract_id].append(pay_app)

    latest: dict[int, PayApp] = {}
    latest_approved: dict[int, PayApp] = {}
    for contract_id, of_contract in pay_apps_by_contract.items():
        latest[contract_id] = of_contract[-1]
        approved = [p for p in of_contract if p.is_approved]
        if approved:
            latest_approved[contract_id] = approved[-1]

    lines = _lines_of({p.pk for p in [*latest.values(), *latest_approved.values()]})
    g_of: dict[int, Decimal] = {}  # G of the pay apps whose lines were read
    retainage_of: dict[int, Decimal] = {}
    for pay_app in [*latest.values(), *latest_approved.values()]:
        if pay_app.pk not in g_of:
            g702 = figures_for_lines(pay_app, lines.get(pay_app.pk, [])).g702
            g_of[pay_app.pk] = g702.total_completed_and_stored_to_date
            retainage_of[pay_app.pk] = g702.total_retainage

    paid = _paid_by_contract(list(contracts))

    def row(contract: Contract) -> ContractFigures:
        last = latest.get(contract.pk)
        last_approved = latest_approved.get(contract.pk)
        return ContractFigures(
            contract=contract,
            contract_value=quantize(Decimal(contract.contract_value)),  # type: ignore[attr-defined]
            billed_to_date=g_of[last.pk] if last else ZERO,
            latest_pay_app=last,
            approved_to_date=g_of[last_approved.pk] if last_approved else ZERO,
            latest_approved_pay_app=last_approved,
            retainage_held=retainage_of[last_approved.pk] if last_approved else ZERO,
            paid=paid.get(contract.pk, ZERO),
        )

    commitment_rows = [row(c) for c in commitments]
    client_rows = [row(c) for c in clients]
    approved_pay_apps = [p for of in pay_apps_by_contract.values() for p in of if p.is_approved]
    return Dashboard(
        project=project,
        commitments=commitment_rows,
        commitments_total=Totals.of(commitment_rows),
        client_contracts=client_rows,
        client_total=Totals.of(client_rows),
        periods=_billed_by_period(project, approved_pay_apps),
    )


def _contracts(*, user: Any, project: Project, kind_group: KindGroup) -> list[Contract]:
    contracts = list(contracts_with_values(user=user, project=project, kind_group=kind_group))
    for contract in contracts:
        contract.project = project  # `figures_for_lines` reads the project's settings
    return contracts


def _lines_of(pay_app_ids: Iterable[int]) -> dict[int, list[PayAppLine]]:
    """The lines of these pay apps in G703 order, in one query."""
    out: dict[int, list[PayAppLine]] = defaultdict(list)
    ids = list(pay_app_ids)
    if ids:
        for line in PayAppLine.objects.filter(pay_app_id__in=ids).order_by(
            "pay_app_id", "position", "id"
        ):
            out[line.pay_app_id].append(line)
    return out


def _paid_by_contract(contract_ids: Sequence[int]) -> dict[int, Decimal]:
    """Σ payments of each contract's pay apps, in one query."""
    if not contract_ids:
        return {}
    rows = (
        Payment.objects.filter(pay_app__contract_id__in=contract_ids)
        .order_by()
        .values("pay_app__contract_id")
        .annotate(total=Sum("amount"))
        .values_list("pay_app__contract_id", "total")
    )
    return {contract_id: quantize(Decimal(total)) for contract_id, total in rows}


def _g_by_pay_app(pay_app_ids: Sequence[int]) -> dict[int, Decimal]:
    """G (Σ D + E + F of the lines, DOMAIN.md §5.1) of each pay app, summed by the database."""
    if not pay_app_ids:
        return {}
    total = F("work_completed_previous") + F("work_completed_this_period")
    total = total + F("materials_presently_stored")
    rows = (
        PayAppLine.objects.filter(pay_app_id__in=pay_app_ids)
        .order_by()
        .values("pay_app_id")
        .annotate(g=Sum(total, output_field=_MONEY))
        .values_list("pay_app_id", "g")
    )
    return {pay_app_id: quantize(Decimal(g)) for pay_app_id, g in rows}


def _billed_by_period(project: Project, approved: Sequence[PayApp]) -> list[PeriodBilled]:
    """Approved billed to date at each period's end, carried forward per contract."""
    if not approved:
        return []
    g = _g_by_pay_app([p.pk for p in approved])
    last_number = max(p.billing_period.number for p in approved)
    periods = list(
        BillingPeriod.objects.filter(project=project, number__lte=last_number).order_by("number")
    )
    by_period: dict[int, list[PayApp]] = defaultdict(list)
    for pay_app in approved:
        by_period[pay_app.billing_period.number].append(pay_app)
    current: dict[int, tuple[bool, Decimal]] = {}  # contract -> (is commitment, latest G)
    out: list[PeriodBilled] = []
    for period in periods:
        for pay_app in sorted(by_period.get(period.number, []), key=lambda p: p.number):
            current[pay_app.contract_id] = (
                pay_app.contract.is_commitment,
                g.get(pay_app.pk, ZERO),
            )
        out.append(
            PeriodBilled(
                period=period,
                commitments=sum((v for payable, v in current.values() if payable), ZERO),
                client=sum((v for payable, v in current.values() if not payable), ZERO),
            )
        )
    return out
