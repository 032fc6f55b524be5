"""Floor views of `make bench`: what the same answer costs without the framework around it.

`project_pay_apps` is the floor of the `project_list_api` figure: the first page of
`GET /api/v1/projects/<id>/pay-apps/` (newest period first, 100 rows by default) as a plain
Django view. It costs two queries: the token lookup (rest_framework.authtoken's `Token`, joined
to its user, as DRF's TokenAuthentication does it) and the rows, read with `.values()` in one
query that joins the commitment, its vendor and the billing period for the ordering.

Every field the API row can read straight off the rows is here with the same name and value.
Left out, because no stored column holds them (the API computes them from every line of each
pay app): `current_payment_due` (G702 line 8), `work_completed_this_period` (Σ E of the G703) and
`payment_status` (payments against the current payment due). Also left out: the permission
check (the floor only authenticates; the bench calls it with a project admin's token, and
`bench.http_load` checks the two answers list the same rows) and the page's `count`,
`next` and `previous` (a second query for the count).
"""

from __future__ import annotations

from typing import Any

from django.db.models import F
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET
from rest_framework.authtoken.models import Token

from sitebill.billing.models import PayApp

# The API paginator's bounds (sitebill.api.pagination.Pagination), with the bench's default.
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 2000
COMPACT = {"separators": (",", ":")}  # as DRF's JSONRenderer writes JSON
UNAUTHENTICATED = {
    "message": "Authentication credentials were not provided.",
    "code": "not_authenticated",
    "fields": {},
}


def _user(request: HttpRequest) -> Any:
    """The user of an `Authorization: Token <key>` header, or None (one query)."""
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    try:
        token = Token.objects.select_related("user").get(key=key.strip())
    except Token.DoesNotExist:
        return None
    return token.user if token.user.is_active else None


def _page_size(request: HttpRequest) -> int:
    try:
        size = int(request.GET.get("page_size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return min(max(size, 1), MAX_PAGE_SIZE)


def _timestamp(value: Any) -> str | None:
    """A datetime as DRF's DateTimeField writes it (UTC as `Z`, microseconds kept)."""
    if value is None:
        return None
    text: str = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@require_GET
def project_pay_apps(request: HttpRequest, project_id: int) -> JsonResponse:
    """The first page of a project's pay apps, newest period first (the API list's rows)."""
    if _user(request) is None:
        return JsonResponse(UNAUTHENTICATED, status=401)
    rows = (
        PayApp.objects.filter(contract__project_id=project_id)
        .order_by("-billing_period__number", "contract__number", "-number", "pk")
        .values(
            "id",
            "number",
            "status",
            "invoice_type",
            "invoice_number",
            "billing_date",
            "version",
            "erp_status",
            "submitted_at",
            commitment=F("contract_id"),
            period=F("billing_period_id"),
            commitment_number=F("contract__number"),
            vendor=F("contract__counterparty_id"),
            vendor_name=F("contract__counterparty__name"),
        )[: _page_size(request)]
    )
    results = [
        {
            "id": row["id"],
            "number": row["number"],
            "status": row["status"],
            "invoice_type": row["invoice_type"],
            "invoice_number": row["invoice_number"],
            "billing_date": row["billing_date"].isoformat() if row["billing_date"] else None,
            "commitment": row["commitment"],
            "billing_period": row["period"],
            "version": row["version"],
            "erp_status": row["erp_status"] or None,
            "submitted_at": _timestamp(row["submitted_at"]),
            "commitment_number": row["commitment_number"],
            "vendor": row["vendor"],
            "vendor_name": row["vendor_name"],
        }
        for row in rows
    ]
    return JsonResponse({"results": results}, json_dumps_params=COMPACT)
