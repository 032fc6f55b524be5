"""The project list: every project the user may see, with the user's role on it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from sitebill.web.selectors import project_list_role, projects_with_roles, role_label


@login_required
def home(request: HttpRequest) -> HttpResponse:
    rows = []
    for project in projects_with_roles(user=request.user):
        permission = getattr(project, "permission", None)  # annotated by the selector
        role = project_list_role(user=request.user, permission=permission)
        rows.append({"project": project, "role": role_label(role)})
    return render(request, "web/home.html", {"rows": rows, "nav": "projects"})
