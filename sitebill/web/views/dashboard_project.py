"""The project dashboard page and its downloads (CSV, XLSX of the rows; SVG of the chart).

Project members only (`access_dashboard`: Read Only, Standard, Admin; a contact or a stranger
gets the 404 page). The figures are `sitebill.reports.selectors.project_dashboard`'s, for the
contracts the user may see; the chart is drawn here, on the server, as inline SVG (no script,
no external service) from the same figures.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from sitebill.reports.exports import dashboard_download
from sitebill.reports.selectors import access_dashboard, project_dashboard
from sitebill.reports.svg import billed_chart
from sitebill.web.views._access import access_errors

CHART_ID = "billed-chart"


@require_GET
@login_required
@access_errors
def project_dashboard_page(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_dashboard(request.user, project_id)
    dashboard = project_dashboard(user=request.user, project=project)
    # Built with ElementTree, which escapes every text and attribute (sitebill/reports/svg.py).
    chart = mark_safe(billed_chart(dashboard, id_prefix=CHART_ID)) if dashboard.periods else ""
    return render(
        request,
        "web/project_dashboard/dashboard.html",
        {
            "project": project,
            "tab": "dashboard",
            "nav": "projects",
            "dashboard": dashboard,
            "chart": chart,
        },
    )


def _download(request: HttpRequest, project_id: int, fmt: str) -> HttpResponse:
    project = access_dashboard(request.user, project_id)
    dashboard = project_dashboard(user=request.user, project=project)
    return dashboard_download(dashboard, fmt).as_attachment()


@require_GET
@login_required
@access_errors
def project_dashboard_csv(request: HttpRequest, project_id: int) -> HttpResponse:
    return _download(request, project_id, "csv")


@require_GET
@login_required
@access_errors
def project_dashboard_xlsx(request: HttpRequest, project_id: int) -> HttpResponse:
    return _download(request, project_id, "xlsx")


@require_GET
@login_required
@access_errors
def project_dashboard_svg(request: HttpRequest, project_id: int) -> HttpResponse:
    return _download(request, project_id, "svg")
