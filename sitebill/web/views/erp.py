"""Pages for payments and the ERP export queue (DOMAIN.md §6).

- The pay app page shows a Payments card (the payments, what is still due, and for Admins a
  form to record one) and an ERP card (the ERP status and, for Admins on an Approved progress
  billing, a "Send to ERP" form). Both are rendered by `{% load erp_pages %}` tags
  (sitebill/web/templatetags/erp_pages.py), so the pay app view needs no change, and post here.
- `/projects/<id>/erp-exports/` (Admins): the project's exports with Accept, Reject (with a
  reason) and the file, and the Approved progress billings that can be sent.

Views parse and show; the services decide. A success redirects (post/redirect/get) with a
message; a refusal re-renders with the message next to the field, or above the form, and the
status of the API (400, 403, 404, 409), keeping what was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sitebill.accounts.access import Role, access_pay_app, access_project
from sitebill.accounts.models import Project
from sitebill.billing.models import PayApp, PayAppLine, Payment
from sitebill.billing.permissions import pay_app_require_role
from sitebill.billing.selectors import figures_for_lines
from sitebill.billing.services.payments import payment_record
from sitebill.contracts.models import Contract
from sitebill.core.exceptions import Conflict, NotFound, ValidationFailed
from sitebill.erp.models import ErpExport
from sitebill.erp.selectors import erp_exports_of
from sitebill.erp.services import erp_accept, erp_reject, erp_send, export_file
from sitebill.web.forms import DateInput, add_service_errors
from sitebill.web.forms_pay_app import ParseError, amount_text, parse_amount
from sitebill.web.templatetags.sitebill import money
from sitebill.web.views._access import access_errors

# --------------------------------------------------------------------------------------------
# Forms


class PaymentForm(forms.Form):
    date = forms.DateField(label="Payment date", widget=DateInput())
    amount = forms.CharField(label="Amount", max_length=20)
    method = forms.ChoiceField(label="Method", choices=Payment.Method.choices)
    reference = forms.CharField(
        label="Reference", max_length=100, required=False, help_text="Check number, wire ref."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "payment_%s")
        super().__init__(*args, **kwargs)

    def clean_amount(self) -> Decimal:
        try:
            return parse_amount(self.cleaned_data["amount"])
        except ParseError as error:
            raise forms.ValidationError(str(error)) from None


class SendForm(forms.Form):
    format = forms.ChoiceField(label="Format", choices=ErpExport.Format.choices)
    pay_apps = forms.TypedMultipleChoiceField(
        label="Pay apps", coerce=int, error_messages={"required": "Choose at least one pay app."}
    )
    resend = forms.BooleanField(
        label="Send again on purpose (pay apps already sent or exported)", required=False
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "send_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["pay_apps"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = choices


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=1000, required=False, widget=forms.TextInput()
    )


# --------------------------------------------------------------------------------------------
# Payments


@require_POST
@login_required
@access_errors
def pay_app_payment_add(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """Record a payment from the pay app page's Payments card (Admins)."""
    pay_app = access_pay_app(request.user, pay_app_id)
    pay_app_require_role(
        request.user, pay_app, Role.ADMIN, refusal="Only an Admin can record payments."
    )
    form = PaymentForm(request.POST)
    status = 400
    error_message = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            payment = payment_record(
                actor=request.user,
                pay_app=pay_app,
                date=data["date"],
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        except Conflict as error:
            error_message, status = error.message, 409
        else:
            messages.success(
                request,
                f"Payment of {money(payment.amount)} recorded on {payment.date:%b %-d, %Y}.",
            )
            return redirect(reverse("web:pay_app", args=[pay_app.pk]) + "#payments-title")
    return render(
        request,
        "web/erp/payment_form.html",
        {
            "pay_app": pay_app,
            "contract": pay_app.contract,
            "project": pay_app.contract.project,
            "nav": "projects",
            "form": form,
            "error_message": error_message,
        },
        status=status,
    )


def payment_form_initial(*, remaining: Decimal) -> dict[str, Any]:
    """What the Payments card's form starts with: today, and what is still due."""
    return {
        "date": timezone.localdate(),
        "amount": amount_text(remaining) if remaining > 0 else "",
        "method": Payment.Method.CHECK,
    }


# --------------------------------------------------------------------------------------------
# The ERP Exports page


def _admin_project(request: HttpRequest, project_id: int) -> Project:
    return access_project(request.user, project_id, at_least=Role.ADMIN)


def _sendable(project: Project) -> list[PayApp]:
    """The project's Approved progress billings, newest period first: what may be sent."""
    return list(
        PayApp.objects.filter(
            contract__project=project,
            contract__kind__in=Contract.COMMITMENT_KINDS,
            status__in=PayApp.APPROVED_STATUSES,
        )
        .select_related("contract", "contract__project", "contract__counterparty")
        .select_related("billing_period")
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .order_by("-billing_period__number", "contract__number", "-number")
    )


def _choice(pay_app: PayApp) -> tuple[int, str]:
    return (
        pay_app.pk,
        f"{pay_app.contract.number} #{pay_app.number} · {pay_app.contract.counterparty.name}",
    )


def _render_exports(
    request: HttpRequest,
    project: Project,
    *,
    send_form: SendForm | None = None,
    reject_forms: dict[int, RejectForm] | None = None,
    alerts: list[tuple[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    sendable = _sendable(project)
    if send_form is None:
        send_form = SendForm(
            choices=[_choice(p) for p in sendable],
            initial={"format": ErpExport.Format.QUICKBOOKS_IIF, "pay_apps": []},
        )
    selected = {str(value) for value in (send_form["pay_apps"].value() or [])}
    rows = [
        {
            "pay_app": pay_app,
            "current_payment_due": figures_for_lines(
                pay_app, list(pay_app.lines.all())
            ).g702.current_payment_due,
            "checked": str(pay_app.pk) in selected,
        }
        for pay_app in sendable
    ]
    exports = list(erp_exports_of(project))
    reject_forms = reject_forms or {}
    return render(
        request,
        "web/erp/exports.html",
        {
            "project": project,
            "tab": "erp_exports",
            "nav": "projects",
            "exports": [
                {"export": export, "reject_form": reject_forms.get(export.pk, RejectForm())}
                for export in exports
            ],
            "sendable": rows,
            "send_form": send_form,
            "alerts": alerts or [],
        },
        status=status,
    )


@require_GET
@login_required
@access_errors
def erp_exports(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's ERP export queue (Admins)."""
    return _render_exports(request, _admin_project(request, project_id))


@require_POST
@login_required
@access_errors
def erp_export_send(request: HttpRequest, project_id: int) -> HttpResponse:
    """Send Approved progress billings to the queue, from this page or a pay app's page."""
    project = _admin_project(request, project_id)
    form = SendForm(request.POST, choices=[_choice(p) for p in _sendable(project)])
    alerts: list[tuple[str, str]] = []
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            export = erp_send(
                actor=request.user,
                project=project,
                format=data["format"],
                pay_apps=data["pay_apps"],
                resend=data["resend"],
            )
        except ValidationFailed as error:
            add_service_errors(form, error)
        except Conflict as error:
            alerts = [("error", message) for message in error.fields.get("pay_apps", [])] or [
                ("error", error.message)
            ]
            status = 409
        else:
            count = len(data["pay_apps"])
            messages.success(
                request,
                f"{count} pay app{'s' if count != 1 else ''} sent to the ERP queue as export "
                f"{export.pk}: Ready to Export.",
            )
            return redirect("web:erp_exports", project_id=project.pk)
    else:
        alerts = [("error", "Nothing was sent: correct the form below.")]
    return _render_exports(request, project, send_form=form, alerts=alerts, status=status)


def _export_of(project: Project, export_id: int) -> ErpExport:
    export = ErpExport.objects.filter(project=project, pk=export_id).first()
    if export is None:
        raise NotFound("ERP export not found.")
    return export


@require_POST
@login_required
@access_errors
def erp_export_accept(request: HttpRequest, project_id: int, export_id: int) -> HttpResponse:
    project = _admin_project(request, project_id)
    export = _export_of(project, export_id)
    try:
        accepted = erp_accept(actor=request.user, export=export)
    except (Conflict, ValidationFailed) as error:
        code = 409 if isinstance(error, Conflict) else 400
        return _render_exports(request, project, alerts=[("error", error.message)], status=code)
    messages.success(request, f"Export {accepted.pk} accepted: {accepted.file_name} is ready.")
    return redirect("web:erp_exports", project_id=project.pk)


@require_POST
@login_required
@access_errors
def erp_export_reject(request: HttpRequest, project_id: int, export_id: int) -> HttpResponse:
    project = _admin_project(request, project_id)
    export = _export_of(project, export_id)
    form = RejectForm(request.POST)
    form.is_valid()
    try:
        erp_reject(actor=request.user, export=export, reason=form.cleaned_data.get("reason", ""))
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _render_exports(request, project, reject_forms={export.pk: form}, status=400)
    except Conflict as error:
        return _render_exports(request, project, alerts=[("error", error.message)], status=409)
    messages.success(
        request, f"Export {export.pk} rejected: its pay apps are back to Revise & Resubmit."
    )
    return redirect("web:erp_exports", project_id=project.pk)


@require_GET
@login_required
@access_errors
def erp_export_file(request: HttpRequest, project_id: int, export_id: int) -> HttpResponse:
    """The file of an accepted export, as an attachment."""
    project = _admin_project(request, project_id)
    export = _export_of(project, export_id)
    if export.status != ErpExport.Status.EXPORTED:
        raise NotFound(
            f"Export {export.pk} is {export.get_status_display()}: its file is produced when it "
            "is accepted."
        )
    content, content_type = export_file(export)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
