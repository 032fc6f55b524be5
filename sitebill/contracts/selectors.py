"""Reads for contracts: lists with their values, and one contract's SOV and change orders.

Invariants:

- Every list starts from `contracts_for_user(user)`: a read never shows a contract its reader may
  not see (DOMAIN.md §4).
- A contract's value is Σ original SOV lines + Σ lines of its *approved* change orders (DOMAIN.md
  §5.3 lines 1 to 3); draft, pending and void change orders count for nothing.
- Values are computed by the database with one correlated subquery per figure, so a list costs
  the same number of queries however many contracts it holds (no N+1), and a join never
  multiplies a sum (SOV lines × change order lines × contacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from sitebill.accounts.access import contracts_for_user
from sitebill.accounts.models import Project
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine

KindGroup = Literal["commitments", "client_contracts"]

ZERO = Decimal("0.00")
_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)

KIND_GROUPS: dict[str, tuple[str, ...]] = {
    "commitments": tuple(Contract.COMMITMENT_KINDS),
    "client_contracts": (Contract.Kind.CLIENT,),
}


def _sum_per_contract(queryset: QuerySet[Any], *, contract_field: str, value_field: str) -> Any:
    """Σ `value_field` of the rows of `queryset` that belong to the outer contract, or 0.00."""
    total = (
        queryset.filter(**{contract_field: OuterRef("pk")})
        .order_by()
        .values(contract_field)
        .annotate(total=Sum(value_field))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def original_value_expression() -> Any:
    """DOMAIN.md §5.3 line 1: Σ original SOV values of the outer contract."""
    return _sum_per_contract(
        SOVLine.objects.all(), contract_field="contract", value_field="scheduled_value"
    )


def approved_changes_expression() -> Any:
    """DOMAIN.md §5.3 line 2: Σ lines of the outer contract's approved change orders."""
    return _sum_per_contract(
        ChangeOrderLine.objects.filter(change_order__status=ChangeOrder.Status.APPROVED),
        contract_field="change_order__contract",
        value_field="amount",
    )


def contracts_with_values(
    *, user: Any, project: Project, kind_group: KindGroup
) -> QuerySet[Contract]:
    """The project's commitments (or client contracts) the user may see, ordered by number.

    Each carries `original_value`, `approved_changes`, `contract_value` (their sum) and
    `contacts_count`, plus its counterparty, all in one query.
    """
    contact_links: Any = Contract.contacts.through
    contacts_count = (
        contact_links.objects.filter(contract_id=OuterRef("pk"))
        .order_by()
        .values("contract_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        contracts_for_user(user)
        .filter(project=project, kind__in=KIND_GROUPS[kind_group])
        .select_related("counterparty")
        .annotate(
            original_value=original_value_expression(),
            approved_changes=approved_changes_expression(),
        )
        .annotate(
            contract_value=ExpressionWrapper(
                F("original_value") + F("approved_changes"), output_field=_MONEY
            ),
            contacts_count=Coalesce(Subquery(contacts_count), Value(0)),
        )
        .order_by("number", "pk")
    )


@dataclass(frozen=True)
class ContractTotals:
    """DOMAIN.md §5.3 lines 1 to 3 for one contract, as of now."""

    original_value: Decimal
    approved_changes: Decimal

    @property
    def contract_value(self) -> Decimal:
        return self.original_value + self.approved_changes


def contract_sov_lines(*, contract: Contract) -> QuerySet[SOVLine]:
    """The contract's original SOV lines in their order."""
    return SOVLine.objects.filter(contract=contract).order_by("position", "pk")


def contract_change_orders(*, contract: Contract) -> QuerySet[ChangeOrder]:
    """The contract's change orders, oldest first, each with its lines and `total`."""
    return (
        ChangeOrder.objects.filter(contract=contract)
        .annotate(
            total=Coalesce(
                Subquery(
                    ChangeOrderLine.objects.filter(change_order=OuterRef("pk"))
                    .order_by()
                    .values("change_order")
                    .annotate(total=Sum("amount"))
                    .values("total"),
                    output_field=_MONEY,
                ),
                Value(ZERO),
                output_field=_MONEY,
            )
        )
        .prefetch_related(
            Prefetch("lines", queryset=ChangeOrderLine.objects.order_by("pk")),
        )
        .order_by("created_at", "pk")
    )


def contract_totals(*, contract: Contract) -> ContractTotals:
    """Original value, approved changes and contract value of one contract (one query)."""
    row = (
        Contract.objects.filter(pk=contract.pk)
        .annotate(
            original_value=original_value_expression(),
            approved_changes=approved_changes_expression(),
        )
        .values("original_value", "approved_changes")
        .get()
    )
    return ContractTotals(
        original_value=Decimal(row["original_value"]),
        approved_changes=Decimal(row["approved_changes"]),
    )
