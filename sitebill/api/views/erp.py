"""Payments and the ERP export queue over the API (API.md `payments`, `erp-exports`).

The same shape as every view: load what the request names through `sitebill.accounts.access`
(404 for what the caller may not see), parse the body, call one service (403 below the role it
needs, 400 for bad input, 409 for a state that does not allow it, saving nothing), answer.

Who may call what (DOMAIN.md §4 "Record payments, send to ERP: Admin"):
- payments: anyone who may see the pay app lists them (a vendor's contact sees what it was
  paid); only a project Admin records one.
- erp-exports: project Admins only, reading included: an export lists every vendor's amounts,
  private commitments too, which Standard and Read Only users may not all see.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.accounts.access import Role, access_pay_app, access_project
from sitebill.accounts.models import Project
from sitebill.api.serializers.erp import (
    ErpExportInput,
    ErpExportOutput,
    ErpExportRejectInput,
    PaymentInput,
    PaymentOutput,
)
from sitebill.api.views import Endpoint, errors, paginated, parse
from sitebill.billing.models import PayApp, Payment
from sitebill.billing.permissions import pay_app_require_role
from sitebill.billing.services.payments import payment_record
from sitebill.core.exceptions import NotFound
from sitebill.erp.models import ErpExport
from sitebill.erp.selectors import erp_exports_of
from sitebill.erp.services import erp_accept, erp_reject, erp_send, export_file

FILE_ANSWER = (
    "The file, as an attachment in the windows-1252 code page the ERPs read: a QuickBooks "
    "Desktop IIF file (text/plain) or a Sage 300 CRE AP invoice import (text/csv)."
)
PAYMENT_TAG = "payments"
ERP_TAG = "erp exports"


# --- Payments ------------------------------------------------------------------------------------


def _payments_of(pay_app: PayApp) -> Any:
    return (
        Payment.objects.filter(pay_app=pay_app)
        .select_related("pay_app__contract", "recorded_by")
        .order_by("date", "id")
    )


class PayAppPayments(Endpoint):
    @extend_schema(
        tags=[PAYMENT_TAG], responses={200: PaymentOutput(many=True), **errors(401, 404)}
    )
    def get(self, request: Request, pay_app_id: int) -> Response:
        """The payments of a pay app, oldest first: issued to the vendor for a progress
        billing, received from the client for a client pay app."""
        pay_app = access_pay_app(request.user, pay_app_id)
        return paginated(self, _payments_of(pay_app), PaymentOutput)

    @extend_schema(
        tags=[PAYMENT_TAG],
        request=PaymentInput,
        responses={201: PaymentOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, pay_app_id: int) -> Response:
        """Record a payment (project Admins) against an Approved or Approved as Noted pay app.

        Refused with 409 when the pay app is not approved, and with 400 on `amount` when the
        pay app's payments would exceed its current payment due (G702 line 8). The pay app's
        `payment_status` follows: unpaid, partially_paid, paid.
        """
        pay_app = access_pay_app(request.user, pay_app_id)
        pay_app_require_role(
            request.user, pay_app, Role.ADMIN, refusal="Only an Admin can record payments."
        )
        payment = payment_record(
            actor=request.user, pay_app=pay_app, **parse(PaymentInput, request)
        )
        payment = _payments_of(pay_app).get(pk=payment.pk)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED)


# --- ERP exports ---------------------------------------------------------------------------------


def _admin_project(request: Request, project_id: int) -> Project:
    return access_project(request.user, project_id, at_least=Role.ADMIN)


def _export_of(project: Project, export_id: int) -> ErpExport:
    try:
        return erp_exports_of(project).get(pk=export_id)
    except ErpExport.DoesNotExist:
        raise NotFound("ERP export not found.") from None


def _answer(project: Project, export: ErpExport, code: int = status.HTTP_200_OK) -> Response:
    return Response(ErpExportOutput(_export_of(project, export.pk)).data, status=code)


class ProjectErpExports(Endpoint):
    @extend_schema(
        tags=[ERP_TAG], responses={200: ErpExportOutput(many=True), **errors(401, 403, 404)}
    )
    def get(self, request: Request, project_id: int) -> Response:
        """The project's ERP exports, newest first (project Admins)."""
        project = _admin_project(request, project_id)
        return paginated(self, erp_exports_of(project), ErpExportOutput)

    @extend_schema(
        tags=[ERP_TAG],
        request=ErpExportInput,
        responses={201: ErpExportOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, project_id: int) -> Response:
        """Send Approved progress billings of the project to the ERP queue, Ready to Export.

        A pay app already Ready to Export or Exported is refused with 409 unless `resend` is
        true: a pay app is never exported twice unless re-sent on purpose. An id that is not a
        progress billing of this project is refused with 400.
        """
        project = _admin_project(request, project_id)
        data = parse(ErpExportInput, request)
        export = erp_send(
            actor=request.user,
            project=project,
            format=data["format"],
            pay_apps=data["pay_apps"],
            resend=data["resend"],
        )
        return _answer(project, export, status.HTTP_201_CREATED)


class ErpExportDetail(Endpoint):
    @extend_schema(tags=[ERP_TAG], responses={200: ErpExportOutput, **errors(401, 403, 404)})
    def get(self, request: Request, project_id: int, export_id: int) -> Response:
        """One export of the project (project Admins)."""
        project = _admin_project(request, project_id)
        return _answer(project, _export_of(project, export_id))


class ErpExportAccept(Endpoint):
    @extend_schema(
        tags=[ERP_TAG], request=None, responses={200: ErpExportOutput, **errors(401, 403, 404, 409)}
    )
    def post(self, request: Request, project_id: int, export_id: int) -> Response:
        """Accept an export Ready to Export (an accounting approver, a project Admin): the file
        is produced and its pay apps are Exported. Accepting an export that was already
        decided, or one whose pay app is no longer approved, is refused with 409."""
        project = _admin_project(request, project_id)
        export = erp_accept(actor=request.user, export=_export_of(project, export_id))
        return _answer(project, export)


class ErpExportReject(Endpoint):
    @extend_schema(
        tags=[ERP_TAG],
        request=ErpExportRejectInput,
        responses={200: ErpExportOutput, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request: Request, project_id: int, export_id: int) -> Response:
        """Reject an export Ready to Export, with a `reason`: its pay apps are Rejected and go
        back to Revise & Resubmit (editable), the reason in their history."""
        project = _admin_project(request, project_id)
        data = parse(ErpExportRejectInput, request)
        export = erp_reject(
            actor=request.user, export=_export_of(project, export_id), reason=data["reason"]
        )
        return _answer(project, export)


class ErpExportFile(Endpoint):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The file is not rendered by DRF; only an error is (as JSON). A client that asks for
        # `Accept: text/csv` gets the file, not 406.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        tags=[ERP_TAG],
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.BINARY, description=FILE_ANSWER),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=FILE_ANSWER),
            **errors(401, 403, 404),
        },
    )
    def get(self, request: Request, project_id: int, export_id: int) -> HttpResponse:
        """The file of an accepted export, as an attachment. 404 until the export is accepted
        (a rejected export never has one)."""
        project = _admin_project(request, project_id)
        export = _export_of(project, export_id)
        if export.status != ErpExport.Status.EXPORTED:
            raise NotFound(
                f"This export is {export.get_status_display()}: its file is produced when it "
                "is accepted.",
                code="no_file",
            )
        content, content_type = export_file(export)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
        return response
