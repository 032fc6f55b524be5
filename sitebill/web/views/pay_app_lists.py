"""The pay app list of a project: every progress billing the user may see, filtered and paged.

Rows come from `pay_apps_for_user` (a contact sees the pay apps of its own commitments only),
on the project's commitments. Filters are a GET form (period, status, vendor), so a filtered
list is a link. The money columns (Σ E "work this period" and G702 line 8 "current payment due")
are computed from the lines of the page's pay apps, prefetched in one query, by the pure
`figures_for_lines`: the list costs the same number of queries however many rows it shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sitebill.accounts.access import access_project, pay_apps_for_user
from sitebill.accounts.models import Company, Project
from sitebill.billing import selectors
from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.services.payments import payment_status, payments_paid_totals
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


@dataclass(frozen=True)
class FilteredList:
    form: PayAppFilterForm
    pay_apps: QuerySet[PayApp]  # filtered, ordered, lines prefetched (`selectors.pay_app_list`)
    filtered: bool


def filtered_pay_apps(request: HttpRequest, project: Project) -> FilteredList:
    """The list's pay apps as the request's GET filters choose them: the page and its CSV/XLSX
    exports (sitebill/web/views/documents.py) read the same filters the same way."""
    pay_apps = project_pay_apps(user=request.user, project=project)
    form = PayAppFilterForm(request.GET or None, project=project, pay_apps=pay_apps)
    cleaned: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()  # a bad value shows its error; the valid filters still apply
        cleaned = getattr(form, "cleaned_data", {})
    period, status, vendor = cleaned.get("period"), cleaned.get("status"), cleaned.get("vendor")
    return FilteredList(
        form=form,
        pay_apps=selectors.pay_app_list(
            pay_apps, billing_period=period or None, status=status or "", vendor=vendor or None
        ),
        filtered=bool(period or status or vendor),
    )


@require_GET
@login_required
@access_errors
def pay_app_list(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    listed = filtered_pay_apps(request, project)
    page = Paginator(listed.pay_apps, PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.pay_app_list_rows(page.object_list)
    paid = payments_paid_totals(row.pay_app.pk for row in rows)  # one query for the page
    for row in rows:
        status = payment_status(row.pay_app, paid[row.pay_app.pk], row.current_payment_due)
        setattr(row.pay_app, "payment_status", status)  # noqa: B010 (not a model field)
    return render(
        request,
        "web/pay_app_lists/list.html",
        {
            "project": project,
            "tab": "pay_apps",
            "nav": "projects",
            "form": listed.form,
            "filtered": listed.filtered,
            "rows": rows,
            "page_obj": page,
        },
    )
