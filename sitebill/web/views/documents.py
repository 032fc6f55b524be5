"""Downloads from the pages: a pay app's G702/G703 PDF, its G703 as CSV or XLSX, and the
project's pay app list as CSV or XLSX.

A pay app is loaded only through `access_pay_app` (404 for anyone who may not see it, exactly
like a missing one); the list export reads the list page's own filters the same way the page
does (`pay_app_lists.filtered_pay_apps`), so a filtered list downloads as filtered.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from sitebill.accounts.access import access_pay_app, access_project
from sitebill.billing.models import PayApp
from sitebill.billing.selectors import PayAppListRow, pay_app_list_rows
from sitebill.documents import pay_app_download, pay_app_list_download
from sitebill.web.views._access import access_errors
from sitebill.web.views.pay_app_lists import filtered_pay_apps

# Pay apps read per query when exporting a whole list: their lines come with them, and only
# one chunk is held at a time.
EXPORT_CHUNK = 100


def _pay_app_document(request: HttpRequest, pay_app_id: int, fmt: str) -> HttpResponse:
    return pay_app_download(access_pay_app(request.user, pay_app_id), fmt).as_attachment()


@require_GET
@login_required
@access_errors
def pay_app_pdf(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    """The G702 application, the G703 continuation sheets, the reasons for difference."""
    return _pay_app_document(request, pay_app_id, "pdf")


@require_GET
@login_required
@access_errors
def pay_app_csv(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    return _pay_app_document(request, pay_app_id, "csv")


@require_GET
@login_required
@access_errors
def pay_app_xlsx(request: HttpRequest, pay_app_id: int) -> HttpResponse:
    return _pay_app_document(request, pay_app_id, "xlsx")


def _list_export(request: HttpRequest, project_id: int, fmt: str) -> HttpResponse:
    project = access_project(request.user, project_id)
    pay_apps = filtered_pay_apps(request, project).pay_apps
    return pay_app_list_download(_rows(pay_apps), project=project, fmt=fmt).as_attachment()


def _rows(pay_apps: QuerySet[PayApp]) -> Iterator[PayAppListRow]:
    for pay_app in pay_apps.iterator(chunk_size=EXPORT_CHUNK):
        yield from pay_app_list_rows([pay_app])


@require_GET
@login_required
@access_errors
def pay_apps_csv(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's pay app list, as filtered on the page, as CSV."""
    return _list_export(request, project_id, "csv")


@require_GET
@login_required
@access_errors
def pay_apps_xlsx(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project's pay app list, as filtered on the page, as XLSX."""
    return _list_export(request, project_id, "xlsx")
