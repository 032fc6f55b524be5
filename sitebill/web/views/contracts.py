"""The commitment page (also the client contract page): facts, SOV, change orders, SOV import.

SOV import is two steps, preview then confirm (`sitebill.contracts.sov_import`). The file uploaded
for the preview is kept for the confirm step in the user's session, base64-encoded, under
`SOV_IMPORT_SESSION_KEY` with a random token, the contract id and the file name; the confirm form
carries only the token. Uploads are capped at 2 MB (`SOVImportForm`), so the session row stays
small; the entry is dropped once the import is applied, and a new preview replaces it. Nothing is
written to disk, and a token is only good for the session, the contract and the file it came with.
The service re-reads and re-checks the file on confirm, so a stale preview can never import
anything the checks would refuse now.
"""

from __future__ import annotations

import base64
import io
import secrets
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from sitebill.accounts.access import Role, access_contract, contract_role
from sitebill.contracts.models import Contract
from sitebill.contracts.selectors import (
    KindGroup,
    contract_change_orders,
    contract_sov_lines,
    contract_totals,
)
from sitebill.contracts.sov_import import (
    TEMPLATE_NAME,
    ImportPreview,
    sov_import_apply,
    sov_import_preview,
)
from sitebill.core.exceptions import NotFound, ValidationFailed
from sitebill.web.forms import SOVImportConfirmForm, SOVImportForm
from sitebill.web.views._access import access_errors

SOV_IMPORT_SESSION_KEY = "sov_import"
PREVIEW_EXPIRED = "This import preview has expired. Upload the file again."


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def contract_url(contract: Contract) -> str:
    name = "web:commitment" if contract.is_commitment else "web:client_contract"
    return reverse(name, args=[contract.pk])


@require_GET
@login_required
@access_errors
def contract_detail(request: HttpRequest, contract_id: int, kind_group: KindGroup) -> HttpResponse:
    contract = access_contract(request.user, contract_id)
    if contract.is_commitment != (kind_group == "commitments"):
        raise NotFound("Contract not found.")
    return _render_page(request, contract, import_form=SOVImportForm())


@require_POST
@login_required
@access_errors
def sov_import(request: HtmxHttpRequest, contract_id: int) -> HttpResponse:
    """Step 1: check the uploaded file and show the preview; keep the file if it is good."""
    contract = access_contract(request.user, contract_id, at_least=Role.ADMIN)
    form = SOVImportForm(request.POST, request.FILES)
    preview: ImportPreview | None = None
    filename = ""
    confirm_form: SOVImportConfirmForm | None = None
    request.session.pop(SOV_IMPORT_SESSION_KEY, None)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        filename = upload.name
        data = upload.read()
        preview = sov_import_preview(contract=contract, file=io.BytesIO(data), filename=filename)
        if preview.ok:
            token = secrets.token_urlsafe(24)
            request.session[SOV_IMPORT_SESSION_KEY] = {
                "token": token,
                "contract": contract.pk,
                "filename": filename,
                "data": base64.b64encode(data).decode("ascii"),
            }
            confirm_form = SOVImportConfirmForm(initial={"token": token})
    context = {
        "import_form": form,
        "preview": preview,
        "preview_filename": filename,
        "confirm_form": confirm_form,
    }
    if request.htmx:
        return render(request, "web/contracts/_sov_import.html", {"contract": contract, **context})
    return _render_page(request, contract, **context)


@require_POST
@login_required
@access_errors
def sov_import_confirm(request: HttpRequest, contract_id: int) -> HttpResponse:
    """Step 2: import the file kept at step 1, all lines or none."""
    contract = access_contract(request.user, contract_id, at_least=Role.ADMIN)
    form = SOVImportConfirmForm(request.POST)
    stored: dict[str, Any] | None = request.session.get(SOV_IMPORT_SESSION_KEY)
    if (
        not form.is_valid()
        or not stored
        or stored.get("contract") != contract.pk
        or not secrets.compare_digest(str(stored.get("token", "")), form.cleaned_data["token"])
    ):
        messages.error(request, PREVIEW_EXPIRED)
        return redirect(contract_url(contract))
    data = base64.b64decode(stored["data"])
    filename = str(stored["filename"])
    try:
        lines = sov_import_apply(
            actor=request.user, contract=contract, file=io.BytesIO(data), filename=filename
        )
    except ValidationFailed as error:
        # The contract changed since the preview (a pay app, a line): show the file's problems
        # as they are now, and nothing to confirm.
        request.session.pop(SOV_IMPORT_SESSION_KEY, None)
        messages.error(request, error.message)
        preview = sov_import_preview(contract=contract, file=io.BytesIO(data), filename=filename)
        return _render_page(
            request,
            contract,
            import_form=SOVImportForm(),
            preview=preview,
            preview_filename=filename,
        )
    request.session.pop(SOV_IMPORT_SESSION_KEY, None)
    count = len(lines)
    messages.success(request, f"Imported {count} SOV line{'' if count == 1 else 's'}.")
    return redirect(contract_url(contract))


@require_GET
@login_required
def sov_import_template(request: HttpRequest) -> HttpResponseBase:
    """The template CSV the import engineer ships with `sitebill.contracts`."""
    path = Path(apps.get_app_config("contracts").path) / "templates" / TEMPLATE_NAME
    if not path.is_file():
        raise Http404("The SOV import template is missing.")
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename="sov_import_template.csv",
        content_type="text/csv",
    )


def _render_page(request: HttpRequest, contract: Contract, **extra: Any) -> HttpResponse:
    role = contract_role(request.user, contract)
    lines = list(contract_sov_lines(contract=contract))
    context = {
        "contract": contract,
        "nav": "projects",
        "role": role,
        "can_import": role == Role.ADMIN,
        "lines": lines,
        "show_units": contract.is_unit_based or any(line.quantity is not None for line in lines),
        "totals": contract_totals(contract=contract),
        "change_orders": list(contract_change_orders(contract=contract)),
        "contacts": list(contract.contacts.all()) if contract.is_commitment else [],
        **extra,
    }
    return render(request, "web/contracts/detail.html", context)
