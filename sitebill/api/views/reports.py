"""The project dashboard over the API: `GET /api/v1/projects/{project_id}/dashboard/`.

The same figures as the page (`sitebill.reports.selectors.project_dashboard`), as JSON, every
amount a decimal string with two places ("15000.00"). Project members only (Read Only,
Standard, Admin): anyone else, a payment application contact included, gets 404, exactly as for
a project that does not exist. Rows are the contracts the caller may see (a private commitment
is left out, of the totals too, for a caller who may not see it).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.api.fields import MoneyField
from sitebill.api.views import Endpoint, errors
from sitebill.billing.models import PayApp
from sitebill.contracts.models import Contract
from sitebill.reports.selectors import access_dashboard, project_dashboard

DASHBOARD_TAG = "dashboard"


@extend_schema_serializer(component_name="DashboardPayApp")
class DashboardPayAppOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=PayApp.Status.choices)


@extend_schema_serializer(component_name="DashboardRow")
class DashboardRowOutput(serializers.Serializer):
    """One contract's figures."""

    contract = serializers.IntegerField(source="contract.pk", help_text="The contract's id.")
    kind = serializers.ChoiceField(choices=Contract.Kind.choices, source="contract.kind")
    number = serializers.CharField(source="contract.number")
    title = serializers.CharField(source="contract.title")
    counterparty = serializers.CharField(
        source="contract.counterparty.name", help_text="The vendor, or the client."
    )
    status = serializers.ChoiceField(choices=Contract.Status.choices, source="contract.status")
    contract_value = MoneyField(help_text="Σ original SOV values + Σ approved change orders.")
    billed_to_date = MoneyField(
        help_text="Total completed and stored to date (G) of the latest pay app, any status."
    )
    latest_pay_app = DashboardPayAppOutput(allow_null=True)
    approved_to_date = MoneyField(
        help_text="G of the latest Approved or Approved as Noted pay app (0.00 if none)."
    )
    latest_approved_pay_app = DashboardPayAppOutput(allow_null=True)
    retainage_held = MoneyField(
        help_text="Total retainage held (G702 line 5) on the latest approved pay app."
    )
    paid = MoneyField(help_text="Σ payments recorded on the contract's pay apps.")
    balance_to_finish = MoneyField(help_text="contract_value − billed_to_date.")


@extend_schema_serializer(component_name="DashboardTotals")
class DashboardTotalsOutput(serializers.Serializer):
    contract_value = MoneyField()
    billed_to_date = MoneyField()
    approved_to_date = MoneyField()
    retainage_held = MoneyField()
    paid = MoneyField()
    balance_to_finish = MoneyField()


@extend_schema_serializer(component_name="DashboardPeriod")
class DashboardPeriodOutput(serializers.Serializer):
    billing_period = serializers.IntegerField(source="period.pk")
    number = serializers.IntegerField(source="period.number")
    start_date = serializers.DateField(source="period.start_date")
    end_date = serializers.DateField(source="period.end_date")
    commitments_billed_to_date = MoneyField(
        source="commitments",
        help_text="Σ over the commitments of G of their latest approved pay app in this "
        "period or before.",
    )
    client_billed_to_date = MoneyField(
        source="client",
        help_text="The same over the client contracts (0.00 when there is none).",
    )


@extend_schema_serializer(component_name="Dashboard")
class DashboardOutput(serializers.Serializer):
    project = serializers.IntegerField(source="project.pk")
    currency = serializers.CharField(source="project.currency")
    commitments = DashboardRowOutput(many=True)
    commitments_total = DashboardTotalsOutput()
    client_contracts = DashboardRowOutput(many=True)
    client_contracts_total = DashboardTotalsOutput(source="client_total")
    billed_by_period = DashboardPeriodOutput(
        many=True,
        source="periods",
        help_text="The chart's figures: approved billed to date at the end of each billing "
        "period, from the first period to the last one holding an approved pay app; empty "
        "when nothing is approved yet.",
    )


class ProjectDashboard(Endpoint):
    @extend_schema(tags=[DASHBOARD_TAG], responses={200: DashboardOutput, **errors(401, 404)})
    def get(self, request: Request, project_id: int) -> Response:
        """The project dashboard (project members): for each commitment and client contract,
        contract value, billed to date, approved to date, retainage held, paid and balance to
        finish, the totals, and approved billed to date by billing period."""
        project = access_dashboard(request.user, project_id)
        dashboard = project_dashboard(user=request.user, project=project)
        return Response(DashboardOutput(dashboard).data)
