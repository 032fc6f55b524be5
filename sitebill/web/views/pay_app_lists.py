"""The pay app list of a project: every progress billing the user may see, filtered and paged.

Rows come from `pay_apps_for_user` (a contact sees the pay apps of its own commitments only),
on the project's commitments. Filters are a GET form (period, status, vendor), so a filtered
list is a link. The money columns (Σ E "work this period" and G702 line 8 "current payment due")
are computed from the lines of the page's pay apps, prefetched in one query, by the pure
`figures_for_lines`: the list costs the same number of queries however many rows it shows.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sitebill.accounts.access import access_project, pay_apps_for_user
from sitebill.accounts.models import Company, Project
from sitebill.billing.models import BillingPeriod, PayApp, PayAppLine
from sitebill.billing.selectors import figures_for_lines
from sitebill.contracts.models import Contract
from sitebill.web.views._access import access_errors

PER_PAGE = 100


class PayAppFilterForm(forms.Form):
    period = forms.ModelChoiceField(
        queryset=BillingPeriod.objects.none(), required=False, empty_label="All periods"
    )
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *PayApp.Status.choices], required=False
    )
    vendor = forms.ModelChoiceField(
        queryset=Company.objects.none(), required=False, empty_label="All vendors"
    )

    def __init__(self, *args: Any, project: Project, pay_apps: QuerySet[PayApp], **kwargs: Any):
        super().__init__(*args, **kwargs)
        period_field: Any = self.fields["period"]
        period_field.queryset = BillingPeriod.objects.filter(project=project).order_by("-number")
        period_field.label_from_instance = lambda p: (
            f"Period {p.number}: {p.start_date:%b} {p.start_date.day} – "
            f"{p.end_date:%b} {p.end_date.day}, {p.end_date.year}"
        )
        vendor_field: Any = self.fields["vendor"]
        vendor_field.queryset = Company.objects.filter(
            pk__in=pay_apps.values("contract__counterparty_id")
        ).order_by("name")


def project_pay_apps(*, user: Any, project: Project) -> QuerySet[PayApp]:
    """The project's progress billings the user may see (commitments only), newest period first."""
    return pay_apps_for_user(user).filter(
        contract__project=project, contract__kind__in=Contract.COMMITMENT_KINDS
    )


@require_GET
@login_required
@access_errors
def pay_app_list(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    pay_apps = project_pay_apps(user=request.user, project=project)
    form = PayAppFilterForm(request.GET or None, project=project, pay_apps=pay_apps)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # a bad value shows its error; the valid filters still apply
        cleaned = getattr(form, "cleaned_data", {})
        if cleaned.get("period"):
            filters["billing_period"] = cleaned["period"]
        if cleaned.get("status"):
            filters["status"] = cleaned["status"]
        if cleaned.get("vendor"):
            filters["contract__counterparty"] = cleaned["vendor"]
    rows_qs = (
        pay_apps.filter(**filters)
        .select_related("contract", "contract__project", "contract__counterparty", "billing_period")
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .order_by("-billing_period__number", "contract__number", "-number", "pk")
    )
    page = Paginator(rows_qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = []
    for pay_app in page.object_list:
        figures = figures_for_lines(pay_app, list(pay_app.lines.all()))
        rows.append(
            {
                "pay_app": pay_app,
                "work_this_period": figures.totals.work_completed_this_period,
                "current_payment_due": figures.g702.current_payment_due,
            }
        )
    return render(
        request,
        "web/pay_app_lists/list.html",
        {
            "project": project,
            "tab": "pay_apps",
            "nav": "projects",
            "form": form,
            "filtered": bool(filters),
            "rows": rows,
            "page_obj": page,
        },
    )
