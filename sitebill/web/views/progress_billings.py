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

Client tab: the project's client contracts. MC/Client payment applications come with upstream
billing; the tab says so and offers no button that would do nothing.
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

from sitebill.accounts.access import Role, access_project, contracts_for_user, project_role
from sitebill.accounts.models import Project
from sitebill.billing.models import BillingPeriod, InvoiceType
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


def _render_client_tab(request: HttpRequest, project: Project) -> HttpResponse:
    contracts = list(
        contracts_with_values(user=request.user, project=project, kind_group="client_contracts")
    )
    return render(
        request,
        "web/progress_billings/client.html",
        {
            "project": project,
            "tab": "progress_billings",
            "subtab": "client",
            "nav": "projects",
            "contracts": contracts,
        },
    )
