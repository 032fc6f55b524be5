"""The Progress Billings tool of a project: the Subcontractor tab and the Client tab.

Subcontractor tab (DOMAIN.md §3, the seeds' "Send an 'Invite to Bill'"): the invoiceable
commitments the user may see (`contracts_for_user` ∩ project, commitments, Approved or Complete),
each with its invite status for one billing period, and the counts per status as filter chips.
The period shown is `?period=<id>`, else the Open one, else the latest; `?status=` filters the
rows (the counts always count every row). An Admin marks checkboxes, picks the invoice type and
clicks Send Invites.

Sending is `invites_send`, nothing else: with htmx the response is the re-rendered tab panel with
a banner (success, skipped rows and why, or the refusal); without JS the same form posts, then
redirects back with Django messages. An htmx refusal answers 200 so that htmx swaps the banner
in (it leaves 4xx answers unswapped); the service saved nothing.

Client tab (DOMAIN.md §5.5): the project's client contracts the user may see, each with its
MC/Client payment applications (status, work this period, current payment due, a "Source
changed" flag) and, for Admin and Standard users, the "Create MC/Client payment application"
form (period, "Prefill from progress billings", "Include retainage"), which calls
`upstream.services.client_pay_app_create` and opens the new pay app on the pay app page. A
refusal re-renders the tab with the form as typed and the message next to it.

The pay app page shows a client pay app's Sources card by loading `client_pay_app_sources`
(htmx; without JS, a link to the same view as a page): per client line the progress billings it
was prefilled from, the sub lines no client line takes, and a warning when a source changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from sitebill.accounts.access import (
    Role,
    access_contract,
    access_pay_app,
    access_project,
    contracts_for_user,
    project_role,
    require_role,
)
from sitebill.accounts.models import Project
from sitebill.billing.models import BillingPeriod, InvoiceType, PayApp
from sitebill.billing.selectors import figures_for_lines
from sitebill.billing.services.invites import (
    STATUS_LABELS,
    STATUS_ORDER,
    InviteBoard,
    invite_board,
    invites_send,
)
from sitebill.contracts.models import Contract
from sitebill.contracts.selectors import contracts_with_values
from sitebill.core.exceptions import Conflict, NotFound, ValidationFailed
from sitebill.upstream.selectors import client_pay_app_sources as sources_of
from sitebill.upstream.selectors import client_pay_apps, has_changed_source
from sitebill.upstream.services import client_pay_app_create
from sitebill.web.forms import DateInput, add_service_errors
from sitebill.web.forms_pay_app import PeriodChoiceField
from sitebill.web.views._access import access_errors

PANEL_ID = "subcontractor-panel"
# The chips read in workflow order, as the seeds tell it: Not Invited → Invited → Accepted or
# Declined; the commitments that cannot be invited at all come last.
CHIP_ORDER = ["not_invited", "invited", "accepted", "declined", "no_contacts"]


def invoiceable_commitments(*, user: Any, project: Project) -> QuerySet[Contract]:
    """The rows of the Subcontractor tab: commitments the user may see that can be billed."""
    return (
        contracts_for_user(user)
        .filter(
            project=project,
            kind__in=Contract.COMMITMENT_KINDS,
            status__in=Contract.INVOICEABLE_STATUSES,
        )
        .select_related("counterparty")
        .order_by("number", "pk")
    )


class SendInvitesForm(forms.Form):
    """The Send Invites form of the Subcontractor tab; `invites_send` holds every rule."""

    period = forms.ModelChoiceField(queryset=BillingPeriod.objects.none(), widget=forms.HiddenInput)
    commitments = forms.ModelMultipleChoiceField(
        queryset=Contract.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    invoice_type = forms.ChoiceField(
        label="Invoice type",
        choices=InvoiceType.choices,
        initial=InvoiceType.WORK_AND_MATERIALS,
    )
    status = forms.ChoiceField(
        choices=[("", "All"), *((key, key) for key in STATUS_ORDER)],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, user: Any, project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        period_field: Any = self.fields["period"]
        period_field.queryset = BillingPeriod.objects.filter(project=project)
        commitments_field: Any = self.fields["commitments"]
        commitments_field.queryset = invoiceable_commitments(user=user, project=project)


@dataclass
class Banner:
    """What the panel says after a send: the service's message, the skipped rows and why."""

    kind: str  # "success" or "error"
    message: str
    skipped: list[tuple[Contract, str]] = field(default_factory=list)


@require_GET
@login_required
@access_errors
def progress_billings(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    if request.GET.get("tab") == "client":
        return _render_client_tab(request, project)
    periods = list(BillingPeriod.objects.filter(project=project).order_by("-number"))
    period = _chosen_period(periods, request.GET.get("period"))
    status = _status_filter(request.GET.get("status"))
    context = _subcontractor_context(
        request, project=project, periods=periods, period=period, status=status
    )
    return render(request, "web/progress_billings/subcontractor.html", context)


@require_POST
@login_required
@access_errors
def progress_billings_send_invites(request: HttpRequest, project_id: int) -> HttpResponse:
    """Send Invites (Admin only): the re-rendered panel for htmx, else a redirect back."""
    project = access_project(request.user, project_id, at_least=Role.ADMIN)
    form = SendInvitesForm(request.POST, user=request.user, project=project)
    valid = form.is_valid()
    period: BillingPeriod | None = form.cleaned_data.get("period")
    status = _status_filter(form.cleaned_data.get("status"))
    selected: list[Contract] = list(form.cleaned_data.get("commitments") or [])
    if not valid:
        banner = Banner("error", " ".join(_form_errors(form)))
    else:
        assert period is not None  # a valid form has its required period
        try:
            result = invites_send(
                actor=request.user,
                period=period,
                contracts=selected,
                invoice_type=form.cleaned_data["invoice_type"],
            )
        except (ValidationFailed, Conflict) as error:
            banner = Banner("error", error.message)
        else:
            names = {c.pk: c for c in selected}
            banner = Banner(
                "success",
                result.message,
                skipped=[(names[pk], reason) for pk, reason in result.skipped.items()],
            )
            selected = []
    if getattr(request, "htmx", False):
        periods = list(BillingPeriod.objects.filter(project=project).order_by("-number"))
        context = _subcontractor_context(
            request,
            project=project,
            periods=periods,
            period=period or _chosen_period(periods, None),
            status=status,
            banner=banner,
            selected={c.pk for c in selected} if banner.kind == "error" else set(),
            invoice_type=form.data.get("invoice_type", InvoiceType.WORK_AND_MATERIALS),
        )
        return render(request, "web/progress_billings/_subcontractor_panel.html", context)
    if banner.kind == "success":
        messages.success(request, banner.message)
        for contract, reason in banner.skipped:
            messages.warning(request, f"{contract.number} {contract.title}: {reason}")
    else:
        messages.error(request, banner.message)
    return redirect(tool_url(project, period=period, status=status))


def tool_url(project: Project, *, period: BillingPeriod | None = None, status: str = "") -> str:
    query = {"period": period.pk} if period else {}
    if status:
        query["status"] = status  # type: ignore[assignment]
    url = reverse("web:progress_billings", args=[project.pk])
    return f"{url}?{urlencode(query)}" if query else url


def _chosen_period(periods: list[BillingPeriod], raw: str | None) -> BillingPeriod | None:
    """`?period=`, else the Open period, else the latest one; None when there is none."""
    if raw:
        for period in periods:
            if str(period.pk) == raw:
                return period
        raise NotFound("Billing period not found.")
    for period in periods:
        if period.is_open:
            return period
    return periods[0] if periods else None


def _status_filter(raw: str | None) -> str:
    return raw if raw in STATUS_ORDER else ""


def _form_errors(form: forms.Form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def _subcontractor_context(
    request: HttpRequest,
    *,
    project: Project,
    periods: list[BillingPeriod],
    period: BillingPeriod | None,
    status: str,
    banner: Banner | None = None,
    selected: set[int] | None = None,
    invoice_type: str = InvoiceType.WORK_AND_MATERIALS,
) -> dict[str, Any]:
    role = project_role(request.user, project)
    contracts = list(invoiceable_commitments(user=request.user, project=project))
    board: InviteBoard | None = (
        invite_board(period=period, contracts=contracts) if period is not None else None
    )
    rows = board.rows if board else []
    chips = []
    if board is not None:
        all_url = tool_url(project, period=period)
        chips.append({"status": "", "label": "All", "count": len(rows), "url": all_url})
        chips += [
            {
                "status": key,
                "label": STATUS_LABELS[key],
                "count": board.counts.get(key, 0),
                "url": tool_url(project, period=period, status=key),
            }
            for key in CHIP_ORDER
        ]
    can_send = role == Role.ADMIN and period is not None and period.is_open
    return {
        "project": project,
        "tab": "progress_billings",
        "subtab": "subcontractor",
        "nav": "projects",
        "panel_id": PANEL_ID,
        "periods": periods,
        "period": period,
        "status": status,
        "status_label": STATUS_LABELS.get(status, ""),
        "chips": chips,
        "rows": [row for row in rows if not status or row.status == status],
        "has_rows": bool(rows),
        "can_send": can_send,
        "selectable": any(row.can_invite for row in rows) if can_send else False,
        "can_create_on_behalf": role >= Role.STANDARD and period is not None and period.is_open,
        "is_admin": role == Role.ADMIN,
        "banner": banner,
        "selected": selected or set(),
        "invoice_types": InvoiceType.choices,
        "invoice_type": invoice_type,
        "send_url": reverse("web:progress_billings_send_invites", args=[project.pk]),
    }


# --------------------------------------------------------------------------------------------
# Client tab: MC/Client payment applications


class ClientPayAppForm(forms.Form):
    """ "Create MC/Client payment application"; `client_pay_app_create` holds every rule."""

    billing_period = PeriodChoiceField(
        label="Billing period", queryset=BillingPeriod.objects.none(), empty_label=None
    )
    prefill = forms.BooleanField(
        label="Prefill from progress billings",
        required=False,
        initial=True,
        help_text="Work this period and stored materials of each line, summed from the "
        "period's approved progress billings by cost code.",
    )
    include_retainage = forms.BooleanField(
        label="Include retainage",
        required=False,
        help_text="Carry the progress billings' retainage released, and their rates where "
        "they agree.",
    )
    invoice_number = forms.CharField(label="Invoice number", max_length=50, required=False)
    billing_date = forms.DateField(
        label="Billing date", required=False, widget=DateInput(), help_text="Defaults to today."
    )

    def __init__(self, *args: Any, contract: Contract, periods: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_client_{contract.pk}_%s")
        super().__init__(*args, **kwargs)
        period_field: Any = self.fields["billing_period"]
        period_field.queryset = periods


@dataclass
class ClientPayAppRow:
    pay_app: PayApp
    work_this_period: Any
    current_payment_due: Any
    source_changed: bool


@dataclass
class ClientContractBlock:
    contract: Contract
    rows: list[ClientPayAppRow]
    form: ClientPayAppForm | None
    error: str = ""


@require_POST
@login_required
@access_errors
def client_pay_app_new(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Create an MC/Client payment application, then open it on the pay app page."""
    contract = access_contract(request.user, contract_id)
    if contract.kind != Contract.Kind.CLIENT:
        raise NotFound("Client contract not found.")
    require_role(request.user, contract, Role.STANDARD)  # Read Only: 403 before the form
    project = contract.project
    periods = BillingPeriod.objects.filter(project=project).order_by("-number")
    form = ClientPayAppForm(request.POST, contract=contract, periods=periods)
    status, error = 400, ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            pay_app = client_pay_app_create(
                actor=request.user,
                contract=contract,
                billing_period=data["billing_period"],
                prefill=data["prefill"],
                include_retainage=data["include_retainage"],
                invoice_number=data["invoice_number"],
                billing_date=data["billing_date"],
            )
        except ValidationFailed as refusal:
            add_service_errors(form, refusal)
            error = refusal.message
        except Conflict as refusal:
            status, error = 409, refusal.message
        else:
            prefilled = " and prefilled from progress billings" if data["prefill"] else ""
            messages.success(
                request,
                f"MC/Client payment application #{pay_app.number} created as a Draft{prefilled}.",
            )
            return redirect("web:pay_app", pay_app_id=pay_app.pk)
    else:
        error = "The pay app was not created: correct the fields marked below."
    return _render_client_tab(request, project, bound={contract.pk: (form, error)}, status=status)


def _render_client_tab(
    request: HttpRequest,
    project: Project,
    *,
    bound: dict[int, tuple[ClientPayAppForm, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    contracts = list(
        contracts_with_values(user=request.user, project=project, kind_group="client_contracts")
    )
    role = project_role(request.user, project)
    periods = BillingPeriod.objects.filter(project=project).order_by("-number")
    open_period = next((period for period in periods if period.is_open), None)
    can_create = role >= Role.STANDARD and open_period is not None
    pay_apps = client_pay_apps(contracts)
    bound = bound or {}
    blocks = []
    for contract in contracts:
        rows = []
        for pay_app in pay_apps[contract.pk]:
            figures = figures_for_lines(pay_app, list(pay_app.lines.all()))
            rows.append(
                ClientPayAppRow(
                    pay_app=pay_app,
                    work_this_period=figures.totals.work_completed_this_period,
                    current_payment_due=figures.g702.current_payment_due,
                    source_changed=has_changed_source(pay_app),
                )
            )
        form, error = bound.get(contract.pk, (None, ""))
        if form is None and can_create:
            form = ClientPayAppForm(
                contract=contract, periods=periods, initial={"billing_period": open_period}
            )
        blocks.append(ClientContractBlock(contract=contract, rows=rows, form=form, error=error))
    return render(
        request,
        "web/progress_billings/client.html",
        {
            "project": project,
            "tab": "progress_billings",
            "subtab": "client",
            "nav": "projects",
            "blocks": blocks,
            "contracts": contracts,
            "open_period": open_period,
            "may_create": role >= Role.STANDARD,
            "is_admin": role == Role.ADMIN,
        },
        status=status,
    )


@require_GET
@login_required
@access_errors
def client_pay_app_sources(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """The Sources card of a client pay app: a fragment for htmx, else a page of its own."""
    pay_app = access_pay_app(request.user, pay_app_id)
    if pay_app.contract.kind != Contract.Kind.CLIENT:
        raise NotFound("Client pay app not found.")
    view = sources_of(pay_app)
    visible = set(
        contracts_for_user(request.user)
        .filter(project_id=pay_app.contract.project_id)
        .values_list("pk", flat=True)
    )
    context = {
        "pay_app": pay_app,
        "contract": pay_app.contract,
        "project": pay_app.contract.project,
        "nav": "projects",
        "sources": view,
        "visible": visible,
        "oob": bool(getattr(request, "htmx", False)),
    }
    if getattr(request, "htmx", False):
        return render(request, "web/pay_apps/_sources.html", context)
    return render(request, "web/pay_apps/sources.html", context)
