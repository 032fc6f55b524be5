"""Billing periods of a project: the list, and for an Admin the form that opens a new one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from sitebill.accounts.access import Role, access_project, project_role
from sitebill.billing.services.periods import billing_period_create
from sitebill.core.exceptions import ValidationFailed
from sitebill.web.forms import BillingPeriodForm, add_service_errors
from sitebill.web.selectors import billing_periods_with_counts
from sitebill.web.views._access import access_errors


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def billing_periods(request: HttpRequest, project_id: int) -> HttpResponse:
    if request.method == "POST":
        project = access_project(request.user, project_id, at_least=Role.ADMIN)
        form = BillingPeriodForm(request.POST)
        if form.is_valid():
            try:
                period = billing_period_create(
                    actor=request.user,
                    project=project,
                    start_date=form.cleaned_data["start_date"],
                    end_date=form.cleaned_data["end_date"],
                    due_date=form.cleaned_data["due_date"],
                )
            except ValidationFailed as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Billing period {period.number} created.")
                return redirect("web:billing_periods", project_id=project.pk)
    else:
        project = access_project(request.user, project_id)
        form = BillingPeriodForm()
    is_admin = project_role(request.user, project) == Role.ADMIN
    return render(
        request,
        "web/periods/list.html",
        {
            "project": project,
            "tab": "billing_periods",
            "nav": "projects",
            "periods": list(billing_periods_with_counts(project=project)),
            "form": form if is_admin else None,
        },
    )
