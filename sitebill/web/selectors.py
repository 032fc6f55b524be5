"""Reads that only the pages need: lists with the figures a table shows, in a fixed number of
queries however long the list is.

Every read starts from an access-scoped queryset (`projects_for_user`) or from an object the view
already loaded through `access_project` / `access_contract`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from sitebill.accounts.access import Role, projects_for_user
from sitebill.accounts.models import Membership, Project
from sitebill.billing.models import BillingPeriod

CONTACT_ROLE_LABEL = "Payment Application Contact"


def projects_with_roles(*, user: Any) -> QuerySet[Project]:
    """The projects the user may see, each with `permission` (the membership level, or None for
    a contact), contractor and client loaded; ordered by number."""
    permission = Membership.objects.filter(user=user, project=OuterRef("pk")).values("permission")[
        :1
    ]
    return (
        projects_for_user(user)
        .select_related("contractor", "client")
        .annotate(permission=Subquery(permission))
        .order_by("number", "pk")
    )


_PERMISSION_ROLES: dict[str, Role] = {
    Membership.Permission.ADMIN: Role.ADMIN,
    Membership.Permission.STANDARD: Role.STANDARD,
    Membership.Permission.READ_ONLY: Role.READ_ONLY,
}
ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: str(Membership.Permission.ADMIN.label),
    Role.STANDARD: str(Membership.Permission.STANDARD.label),
    Role.READ_ONLY: str(Membership.Permission.READ_ONLY.label),
}


def role_label(role: Role) -> str:
    """The words the pages show for a role on a project. A user without a membership who sees
    the project at all sees it as a payment application contact (DOMAIN.md §4)."""
    return ROLE_LABELS.get(role, CONTACT_ROLE_LABEL)


def project_list_role(*, user: Any, permission: str | None) -> Role:
    """The role on one row of `projects_with_roles` (its `permission` annotation)."""
    if getattr(user, "is_superuser", False):
        return Role.ADMIN
    if permission:
        return _PERMISSION_ROLES[permission]
    return Role.CONTACT


def billing_periods_with_counts(*, project: Project) -> QuerySet[BillingPeriod]:
    """The project's billing periods in order, each with `pay_app_count`."""
    return (
        BillingPeriod.objects.filter(project=project)
        .annotate(pay_app_count=Count("pay_apps"))
        .order_by("number")
    )
