"""The project page: facts, settings and its commitments (or client contracts) with values."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sitebill.accounts.access import access_project, project_role
from sitebill.contracts.selectors import KindGroup, contracts_with_values
from sitebill.web.selectors import role_label
from sitebill.web.views._access import access_errors

ZERO = Decimal("0.00")


@login_required
@access_errors
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    return _project_contracts(request, project_id, kind_group="commitments")


@login_required
@access_errors
def project_client_contracts(request: HttpRequest, project_id: int) -> HttpResponse:
    return _project_contracts(request, project_id, kind_group="client_contracts")


def _project_contracts(
    request: HttpRequest, project_id: int, *, kind_group: KindGroup
) -> HttpResponse:
    project = access_project(request.user, project_id)
    role = project_role(request.user, project)
    contracts = list(
        contracts_with_values(user=request.user, project=project, kind_group=kind_group)
    )
    return render(
        request,
        "web/projects/detail.html",
        {
            "project": project,
            "tab": kind_group,
            "nav": "projects",
            "role_label": role_label(role),
            "contracts": contracts,
        },
    )
