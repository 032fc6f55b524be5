"""Contracts: commitments (subcontracts, purchase orders) and client contracts, with their SOV.

One table holds both sides: a commitment is the contractor's contract with a vendor (payable), a
client contract its contract with the client (receivable). They share the SOV, change orders and
the G703 grid, so they share the model; `kind` tells them apart and the API serves them under
their own names (`/commitments/`, `/client-contracts/`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from sitebill.core.fields import MoneyField, RateField


class Contract(models.Model):
    class Kind(models.TextChoices):
        SUBCONTRACT = "subcontract", "Subcontract"
        PURCHASE_ORDER = "purchase_order", "Purchase Order"
        CLIENT = "client", "Client Contract"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OUT_FOR_SIGNATURE = "out_for_signature", "Out for Signature"
        APPROVED = "approved", "Approved"
        COMPLETE = "complete", "Complete"
        TERMINATED = "terminated", "Terminated"
        VOID = "void", "Void"

    class AccountingMethod(models.TextChoices):
        AMOUNT = "amount", "Amount based"
        UNIT = "unit", "Unit/quantity based"

    INVOICEABLE_STATUSES = (Status.APPROVED, Status.COMPLETE)
    COMMITMENT_KINDS = (Kind.SUBCONTRACT, Kind.PURCHASE_ORDER)

    project = models.ForeignKey(
        "accounts.Project", on_delete=models.PROTECT, related_name="contracts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    number = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    counterparty = models.ForeignKey(
        "accounts.Company",
        on_delete=models.PROTECT,
        related_name="contracts",
        help_text="The vendor of a commitment, the client of a client contract.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    executed = models.BooleanField(default=False)
    private = models.BooleanField(default=False)
    description = models.TextField(blank=True)
    retainage_work_percent = RateField(default=Decimal("0"))
    retainage_stored_percent = RateField(default=Decimal("0"))
    retainage_rules = models.JSONField(
        default=list, blank=True, help_text="Sliding-scale rules (API.md retainage_rules)."
    )
    stored_materials_enabled = models.BooleanField(default=True)
    accounting_method = models.CharField(
        max_length=10, choices=AccountingMethod.choices, default=AccountingMethod.AMOUNT
    )
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="billing_contracts",
        help_text="Payment application contacts: vendor users who bill on this commitment.",
    )
    distribution = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="distributed_contracts",
        help_text="Invoice distribution list: contractor users emailed on submit.",
    )
    private_viewers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="private_contracts",
        help_text="Standard users who may see this private contract.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="contract_number_unique"),
            models.CheckConstraint(
                condition=Q(retainage_work_percent__gte=0, retainage_work_percent__lte=100)
                & Q(retainage_stored_percent__gte=0, retainage_stored_percent__lte=100),
                name="contract_retainage_rates_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_commitment(self) -> bool:
        return self.kind in self.COMMITMENT_KINDS

    @property
    def is_invoiceable(self) -> bool:
        return self.status in self.INVOICEABLE_STATUSES

    @property
    def is_unit_based(self) -> bool:
        return self.accounting_method == self.AccountingMethod.UNIT


class SOVLine(models.Model):
    """An original line of the schedule of values. Change orders add their own lines."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    item_number = models.CharField(max_length=30)
    description = models.CharField(max_length=300)
    cost_code = models.CharField(max_length=40, blank=True)
    scheduled_value = MoneyField()
    quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        ordering = ["contract", "position", "id"]
        verbose_name = "SOV line"
        constraints = [
            models.UniqueConstraint(fields=["contract", "item_number"], name="sov_item_unique"),
            models.CheckConstraint(
                condition=Q(scheduled_value__gte=0), name="sov_original_value_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_number} {self.description}"


class ChangeOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        VOID = "void", "Void"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="change_orders")
    number = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contract", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "number"], name="change_order_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"CO {self.number} {self.title}"


class ChangeOrderLine(models.Model):
    change_order = models.ForeignKey(ChangeOrder, on_delete=models.CASCADE, related_name="lines")
    item_number = models.CharField(max_length=30)
    description = models.CharField(max_length=300)
    cost_code = models.CharField(max_length=40, blank=True)
    amount = MoneyField(help_text="May be negative (a deductive change).")

    class Meta:
        ordering = ["change_order", "id"]

    def __str__(self) -> str:
        return f"{self.item_number} {self.description}"
