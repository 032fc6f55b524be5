"""`{% load project_dashboard %}{% project_member project as flag %}`: whether the user is a
member of the project (Read Only, Standard or Admin), so the project header shows the
"Dashboard" tab to those who may open it (contacts get "not found" there).

`project_role` caches the role on the user for the request, so the tag costs at most one query.
"""

from __future__ import annotations

from typing import Any

from django import template

from sitebill.accounts.access import Role, project_role

register = template.Library()


@register.simple_tag(takes_context=True)
def project_member(context: template.Context, project: Any) -> bool:
    request = context.get("request")
    if request is None or project is None:
        return False
    return project_role(request.user, project) >= Role.READ_ONLY
