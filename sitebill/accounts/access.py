"""Who may see what: every read and write is authorised here, in one way (DOMAIN.md §4).

Deny by default. An object the user may not see answers "not found" (`NotFound`), exactly like a
missing one, so ids reveal nothing. An object the user may see but not act on raises
`PermissionDenied` (403).

Roles on a contract, highest first: Admin (project membership, or superuser), Standard, Read Only,
Contact (a payment application contact named on that commitment; sees only its own commitments).
"""

from __future__ import annotations

import enum
from typing import Any

from django.db.models import Q, QuerySet

from sitebill.accounts.models import Membership, Project, User
from sitebill.core.exceptions import NotFound, PermissionDenied


class Role(enum.IntEnum):
    NONE = 0
    CONTACT = 1
    READ_ONLY = 2
    STANDARD = 3
    ADMIN = 4


_PERMISSION_ROLE = {
    Membership.Permission.READ_ONLY: Role.READ_ONLY,
    Membership.Permission.STANDARD: Role.STANDARD,
    Membership.Permission.ADMIN: Role.ADMIN,
}


def _is_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def project_role(user: Any, project: Project) -> Role:
    """The user's permission level on the project's financial tools (contacts are NONE here)."""
    if not _is_user(user):
        return Role.NONE
    if user.is_superuser:
        return Role.ADMIN
    cache: dict[int, Role] = user.__dict__.setdefault("_project_roles", {})
    if project.pk not in cache:
        permission = (
            Membership.objects.filter(user=user, project=project)
            .values_list("permission", flat=True)
            .first()
        )
        cache[project.pk] = (
            _PERMISSION_ROLE.get(Membership.Permission(permission), Role.NONE)
            if permission
            else Role.NONE
        )
    return cache[project.pk]


def contract_role(user: Any, contract: Any) -> Role:
    """The user's role on one contract: membership first, else contact of this commitment."""
    role = project_role(user, contract.project)
    if role == Role.ADMIN:
        return role
    if role in (Role.STANDARD, Role.READ_ONLY):
        if not contract.private:
            return role
        if role == Role.STANDARD and contract.private_viewers.filter(pk=user.pk).exists():
            return role
    if _is_user(user) and contract.is_commitment and is_contact(user, contract):
        return Role.CONTACT
    return Role.NONE


def is_contact(user: Any, contract: Any) -> bool:
    return bool(_is_user(user) and contract.contacts.filter(pk=user.pk).exists())


def projects_for_user(user: Any) -> QuerySet[Project]:
    """Projects the user is a member of, or holds a commitment on as a contact."""
    if not _is_user(user):
        return Project.objects.none()
    if user.is_superuser:
        return Project.objects.all()
    from sitebill.contracts.models import Contract

    contact_projects = Contract.objects.filter(contacts=user).values("project_id")
    return Project.objects.filter(
        Q(pk__in=Membership.objects.filter(user=user).values("project_id"))
        | Q(pk__in=contact_projects)
    )


def contracts_for_user(user: Any) -> QuerySet[Any]:
    """Every contract (commitment or client contract) the user may see."""
    from sitebill.contracts.models import Contract

    if not _is_user(user):
        return Contract.objects.none()
    if user.is_superuser:
        return Contract.objects.all()
    memberships = Membership.objects.filter(user=user)
    admin_projects = memberships.filter(permission=Membership.Permission.ADMIN).values("project_id")
    member_projects = memberships.filter(
        permission__in=[Membership.Permission.STANDARD, Membership.Permission.READ_ONLY]
    ).values("project_id")
    standard_projects = memberships.filter(permission=Membership.Permission.STANDARD).values(
        "project_id"
    )
    private_listed = Contract.objects.filter(private_viewers=user).values("pk")
    own_commitments = Contract.objects.filter(
        contacts=user, kind__in=Contract.COMMITMENT_KINDS
    ).values("pk")
    return Contract.objects.filter(
        Q(project_id__in=admin_projects)
        | Q(project_id__in=member_projects, private=False)
        | Q(project_id__in=standard_projects, pk__in=private_listed)
        | Q(pk__in=own_commitments)
    )


def pay_apps_for_user(user: Any) -> QuerySet[Any]:
    from sitebill.billing.models import PayApp

    return PayApp.objects.filter(contract__in=contracts_for_user(user).values("pk"))


def access_project(user: Any, project_id: Any, *, at_least: Role = Role.CONTACT) -> Project:
    """Load a project the user may see, and check the user's level on it."""
    try:
        project = projects_for_user(user).get(pk=int(project_id))
    except (Project.DoesNotExist, TypeError, ValueError):
        raise NotFound("Project not found.") from None
    if at_least > Role.CONTACT and project_role(user, project) < at_least:
        raise PermissionDenied(
            f"You need {at_least.name.replace('_', ' ').title()} permission on this project."
        )
    return project


def access_contract(user: Any, contract_id: Any, *, at_least: Role = Role.CONTACT) -> Any:
    """Load a contract the user may see (404 otherwise), and check the role on it (403)."""
    from sitebill.contracts.models import Contract

    try:
        contract = (
            contracts_for_user(user)
            .select_related("project", "counterparty")
            .get(pk=int(contract_id))
        )
    except (Contract.DoesNotExist, TypeError, ValueError):
        raise NotFound("Contract not found.") from None
    if contract_role(user, contract) < at_least:
        raise PermissionDenied(
            f"You need {at_least.name.replace('_', ' ').title()} permission for this."
        )
    return contract


def access_pay_app(user: Any, pay_app_id: Any, *, related: tuple[str, ...] = ()) -> Any:
    """Load a pay app the user may see, or raise NotFound for missing and forbidden alike.
    `related`: more relations to load in the same query (e.g. the page's `created_by`)."""
    from sitebill.billing.models import PayApp

    try:
        return (
            pay_apps_for_user(user)
            .select_related(
                "contract",
                "contract__project",
                "contract__counterparty",
                "billing_period",
                *related,
            )
            .get(pk=int(pay_app_id))
        )
    except (PayApp.DoesNotExist, TypeError, ValueError):
        raise NotFound("Pay app not found.") from None


def require_role(user: Any, contract: Any, at_least: Role) -> Role:
    role = contract_role(user, contract)
    if role < at_least:
        if role == Role.NONE:
            raise NotFound("Contract not found.")
        raise PermissionDenied(
            f"You need {at_least.name.replace('_', ' ').title()} permission for this."
        )
    return role


def user_can_administer(user: Any) -> bool:
    return bool(_is_user(user) and isinstance(user, User) and user.can_administer_companies)
