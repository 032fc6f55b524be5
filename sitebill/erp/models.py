"""The ERP export queue (DOMAIN.md §6): Approved pay apps sent for export, then accepted (the
file is produced, the pay apps are Exported) or rejected (back to editable) by an accounting
approver."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ErpExport(models.Model):
    class Format(models.TextChoices):
        QUICKBOOKS_IIF = "quickbooks_iif", "QuickBooks Desktop (IIF)"
        SAGE300_CRE = "sage300_cre", "Sage 300 CRE (AP invoice import)"

    class Status(models.TextChoices):
        READY = "ready_to_export", "Ready to Export"
        EXPORTED = "exported", "Exported"
        REJECTED = "rejected", "Rejected"

    project = models.ForeignKey(
        "accounts.Project", on_delete=models.PROTECT, related_name="erp_exports"
    )
    format = models.CharField(max_length=20, choices=Format.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.READY)
    pay_apps = models.ManyToManyField("billing.PayApp", related_name="erp_exports")
    file_name = models.CharField(max_length=200, blank=True)
    content = models.TextField(blank=True, help_text="The produced file, once accepted.")
    reason = models.TextField(blank=True, help_text="Why it was rejected.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export {self.pk}: {self.get_status_display()}"
