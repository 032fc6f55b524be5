"""Serializers for payments and the ERP export queue (API.md `payments`, `erp-exports`).

`*Input` serializers parse a body into the keyword arguments of `payment_record` and
`erp_send` / `erp_reject`; `*Output` serializers shape a Payment and an ErpExport. The rules
(who may, over-payment, approved only, never exported twice) are the services'.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from sitebill.api.fields import MoneyField
from sitebill.api.serializers import InputSerializer
from sitebill.api.serializers.billing import ERP_STATUS_CHOICES
from sitebill.api.serializers.setup import PersonOutput
from sitebill.billing.models import Payment
from sitebill.billing.services.payments import payment_direction
from sitebill.erp.models import ErpExport

DIRECTION_CHOICES = [
    ("issued", "Issued (paid to the vendor)"),
    ("received", "Received (paid by the client)"),
]


# --- Payments ------------------------------------------------------------------------------------


@extend_schema_serializer(component_name="PaymentCreate")
class PaymentInput(InputSerializer):
    date = serializers.DateField(help_text="The day the payment was made or received.")
    amount = MoneyField(
        help_text="More than zero; the pay app's payments may not exceed its current payment "
        "due (G702 line 8)."
    )
    method = serializers.ChoiceField(choices=Payment.Method.choices)
    reference = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text="A check number, a wire reference, ...",
    )


@extend_schema_serializer(component_name="Payment")
class PaymentOutput(serializers.ModelSerializer):
    """A payment issued to the vendor (a progress billing) or received from the client (a
    client pay app)."""

    direction = serializers.SerializerMethodField()
    recorded_by = PersonOutput()
    amount = MoneyField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "pay_app",
            "date",
            "amount",
            "method",
            "reference",
            "direction",
            "recorded_by",
            "created_at",
        ]

    @extend_schema_field(serializers.ChoiceField(choices=DIRECTION_CHOICES))
    def get_direction(self, payment: Payment) -> str:
        return payment_direction(payment.pay_app)


# --- ERP exports ---------------------------------------------------------------------------------


@extend_schema_serializer(component_name="ErpExportCreate")
class ErpExportInput(InputSerializer):
    format = serializers.ChoiceField(choices=ErpExport.Format.choices)
    pay_apps = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        max_length=500,
        help_text="The ids of Approved progress billings of this project.",
    )
    resend = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Send pay apps already Ready to Export or Exported again, on purpose.",
    )


@extend_schema_serializer(component_name="ErpExportReject")
class ErpExportRejectInput(InputSerializer):
    reason = serializers.CharField(
        allow_blank=True, help_text="Why: kept on the export and in each pay app's history."
    )


@extend_schema_serializer(component_name="ErpExport")
class ErpExportOutput(serializers.ModelSerializer):
    """An export in the queue: Ready to Export, then Exported (the file is at `file/`) or
    Rejected (with the `reason`; its pay apps went back to Revise & Resubmit)."""

    status = serializers.ChoiceField(choices=ERP_STATUS_CHOICES)
    pay_apps = serializers.SerializerMethodField()
    created_by = PersonOutput()
    decided_by = PersonOutput(allow_null=True)

    class Meta:
        model = ErpExport
        fields = [
            "id",
            "project",
            "format",
            "status",
            "pay_apps",
            "file_name",
            "reason",
            "created_by",
            "created_at",
            "decided_by",
            "decided_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_pay_apps(self, export: ErpExport) -> list[Any]:
        return sorted(pay_app.pk for pay_app in export.pay_apps.all())
