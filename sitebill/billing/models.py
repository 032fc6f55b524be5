"""Billing periods, invites and pay apps (progress billings and MC/Client payment applications).

Stored on a pay app line are only the inputs of the G703 row (C, D, E, F, rates, releases) and
the review; every derived figure (G, %, H, retainage held, the G702) comes from
`sitebill.billing.calculations`, so a total can never disagree with its lines.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sitebill.core.fields import MoneyField, RateField

ZERO = Decimal("0.00")


class BillingPeriod(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    project = models.ForeignKey(
        "accounts.Project", on_delete=models.PROTECT, related_name="billing_periods"
    )
    number = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    due_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="period_number_unique"),
            models.UniqueConstraint(
                fields=["project"], condition=Q(status="open"), name="one_open_period_per_project"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"Period {self.number} ({self.start_date:%b %d, %Y} - {self.end_date:%b %d, %Y})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class InvoiceType(models.TextChoices):
    WORK_AND_MATERIALS = "work_and_materials", "Work & Materials"
    WORK_MATERIALS_AND_RETAINAGE = "work_materials_and_retainage", "Work, Materials & Retainage"
    RETAINAGE_RELEASE = "retainage_release", "Retainage Release"


class Invite(models.Model):
    """An 'Invite to Bill' for one commitment and one billing period."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.CASCADE, related_name="invites"
    )
    billing_period = models.ForeignKey(
        BillingPeriod, on_delete=models.PROTECT, related_name="invites"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invoice_type = models.CharField(
        max_length=40, choices=InvoiceType.choices, default=InvoiceType.WORK_AND_MATERIALS
    )
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "billing_period"], name="one_invite_per_contract_period"
            )
        ]

    def __str__(self) -> str:
        return f"Invite {self.contract} / {self.billing_period}: {self.get_status_display()}"


class PayApp(models.Model):
    """A payment application: a vendor's progress billing, or the contractor's client pay app."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        UNDER_REVIEW = "under_review", "Under Review"
        REVISE_AND_RESUBMIT = "revise_and_resubmit", "Revise & Resubmit"
        APPROVED = "approved", "Approved"
        APPROVED_AS_NOTED = "approved_as_noted", "Approved as Noted"
        PENDING_OWNER_APPROVAL = "pending_owner_approval", "Pending Owner Approval"

    APPROVED_STATUSES = (Status.APPROVED, Status.APPROVED_AS_NOTED)

    class ErpStatus(models.TextChoices):
        NONE = "", "Not sent"
        READY = "ready_to_export", "Ready to Export"
        EXPORTED = "exported", "Exported"
        REJECTED = "rejected", "Rejected"

    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, related_name="pay_apps"
    )
    billing_period = models.ForeignKey(
        BillingPeriod, on_delete=models.PROTECT, related_name="pay_apps"
    )
    number = models.PositiveIntegerField()
    invoice_number = models.CharField(max_length=50, blank=True)
    billing_date = models.DateField(null=True, blank=True)
    invoice_type = models.CharField(
        max_length=40, choices=InvoiceType.choices, default=InvoiceType.WORK_AND_MATERIALS
    )
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The payment application contact a Standard or Admin user created it for.",
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(blank=True)
    less_previous_certificates = MoneyField(
        default=ZERO, help_text="G702 line 7: line 6 certified on the previous pay app."
    )
    certified_earned_less_retainage = MoneyField(
        null=True, blank=True, help_text="G702 line 6 as approved (the next line 7)."
    )
    erp_status = models.CharField(max_length=20, choices=ErpStatus.choices, blank=True, default="")
    summary = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The G702 as last computed, with the key of the inputs it was computed from "
        "(sitebill/billing/summaries.py): a list shows it only while the key still matches.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["contract", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "number"], name="pay_app_number_unique"),
            models.UniqueConstraint(
                fields=["contract", "billing_period"], name="one_pay_app_per_contract_period"
            ),
        ]

    def __str__(self) -> str:
        return f"Pay app #{self.number} on {self.contract}"

    @property
    def is_approved(self) -> bool:
        return self.status in self.APPROVED_STATUSES


class PayAppLine(models.Model):
    """One G703 row: the inputs of the row and its review. Derived columns are computed."""

    class ReviewStatus(models.TextChoices):
        NO_ACTION = "no_action", "No action"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    pay_app = models.ForeignKey(PayApp, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    sov_line = models.ForeignKey(
        "contracts.SOVLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_order_line = models.ForeignKey(
        "contracts.ChangeOrderLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    item_number = models.CharField(max_length=30)
    description = models.CharField(max_length=300)
    cost_code = models.CharField(max_length=40, blank=True)
    scheduled_value = MoneyField()
    is_new_change_order = models.BooleanField(
        default=False, help_text="A change order line that no earlier pay app carried."
    )
    work_completed_previous = MoneyField(default=ZERO)
    work_completed_this_period = MoneyField(default=ZERO)
    materials_presently_stored = MoneyField(default=ZERO)
    retainage_work_percent = RateField(default=Decimal("0"))
    retainage_stored_percent = RateField(default=Decimal("0"))
    retainage_released_previous = MoneyField(default=ZERO)
    retainage_released_this_period = MoneyField(default=ZERO)
    previous_retainage_held = MoneyField(default=ZERO)
    unit_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    quantity_this_period = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True
    )
    review_status = models.CharField(
        max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.NO_ACTION
    )
    review_reason = models.TextField(blank=True)
    claimed_work_this_period = MoneyField(
        null=True, blank=True, help_text="E as the vendor submitted it."
    )
    claimed_materials_presently_stored = MoneyField(null=True, blank=True)

    class Meta:
        ordering = ["pay_app", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sov_line__isnull=True) | Q(change_order_line__isnull=True),
                name="pay_app_line_one_source",
            ),
            models.CheckConstraint(
                condition=Q(materials_presently_stored__gte=0), name="stored_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(retainage_work_percent__gte=0, retainage_work_percent__lte=100)
                & Q(retainage_stored_percent__gte=0, retainage_stored_percent__lte=100),
                name="line_retainage_rates_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_number} {self.description}"

    @property
    def is_change_order(self) -> bool:
        return self.change_order_line_id is not None


class Attachment(models.Model):
    """A backup document on a pay app (lien waiver, invoice, photos)."""

    pay_app = models.ForeignKey(PayApp, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class PayAppSource(models.Model):
    """A progress billing that an MC/Client pay app was prefilled from (DOMAIN.md §5.5).

    `source_version` is the source's version when it was used: a source whose version moved on
    since (it was edited, re-reviewed or corrected) is flagged on the client pay app.
    """

    client_pay_app = models.ForeignKey(PayApp, on_delete=models.CASCADE, related_name="sources")
    source = models.ForeignKey(PayApp, on_delete=models.PROTECT, related_name="used_by")
    source_version = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client_pay_app", "source"], name="pay_app_source_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.client_pay_app} <- {self.source}"


class Payment(models.Model):
    """Money paid to a vendor against a progress billing, or received from the client."""

    class Method(models.TextChoices):
        CHECK = "check", "Check"
        ACH = "ach", "ACH"
        WIRE = "wire", "Wire"
        CARD = "card", "Card"
        OTHER = "other", "Other"

    pay_app = models.ForeignKey(PayApp, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField()
    amount = MoneyField()
    method = models.CharField(max_length=10, choices=Method.choices)
    reference = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pay_app", "date", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount} on {self.date} for {self.pay_app}"
