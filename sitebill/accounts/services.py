"""Writes for companies, users, projects, project settings and memberships.

Invariants:

- Companies, users and projects are created by a user who `can_administer_companies` (a
  superuser, or an admin of a contractor company: API.md). A user may also be created by an
  Admin of some project (API.md `POST /users/`), who cannot grant company-admin rights.
- Inside a project only its Admins change settings and memberships (DOMAIN.md §4); a user who
  cannot see the project gets `NotFound`, one who sees it without being Admin `PermissionDenied`.
- Every input is checked before anything is written; a refusal is one `ValidationFailed` naming
  each bad field and saves nothing. Every write appends an Event in the same transaction.
- The creator of a project becomes its first Admin; a project never loses its last Admin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from sitebill.accounts.access import Role, access_project, user_can_administer
from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.core.events import record_event
from sitebill.core.exceptions import PermissionDenied, ValidationFailed


class FieldErrors:
    """Collects per-field messages so one refusal names every bad field at once.

    Shared by the setup services (contracts, billing periods): they validate everything first,
    then `raise_if_any()` before the first write.
    """

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def __bool__(self) -> bool:
        return bool(self.fields)

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def raise_if_any(self, *, code: str | None = None) -> None:
        """Refuse with the first message as the headline and every field's messages attached."""
        if not self.fields:
            return
        messages = [
            message for field_messages in self.fields.values() for message in field_messages
        ]
        headline = messages[0]
        if len(messages) > 1:
            headline = f"{headline} (and {len(messages) - 1} more problem"
            headline += "s)" if len(messages) > 2 else ")"
        raise ValidationFailed(headline, code=code, fields=self.fields)


def require_company_administrator(actor: Any, *, doing: str) -> None:
    """Only a superuser or a contractor company's admin may create companies, users, projects."""
    if not user_can_administer(actor):
        raise PermissionDenied(f"Only a company administrator may {doing}.")


def require_project_admin(actor: Any, project: Project) -> None:
    """NotFound if the actor cannot see the project, PermissionDenied below Admin (DOMAIN.md §4)."""
    access_project(actor, project.pk, at_least=Role.ADMIN)


def text_field(
    errors: FieldErrors,
    field: str,
    value: Any,
    *,
    max_length: int,
    required: bool = True,
    label: str | None = None,
) -> str:
    """A stripped string of at most `max_length` characters; blank only when not required."""
    label = label or field.rsplit(".", 1)[-1].replace("_", " ").capitalize()
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(field, f"{label} must be text.")
        return ""
    value = value.strip()
    if required and not value:
        errors.add(field, f"{label} is required.")
    elif len(value) > max_length:
        errors.add(field, f"{label} must be at most {max_length} characters.")
    return value


def choice_field(errors: FieldErrors, field: str, value: Any, choices: Any) -> str:
    """One of a TextChoices' values; the error lists the allowed values."""
    allowed = [str(choice) for choice in choices.values]
    if value not in allowed:
        errors.add(field, f"Choose one of: {', '.join(allowed)}.")
        return ""
    return str(value)


def bool_field(errors: FieldErrors, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        errors.add(field, "Must be true or false.")
        return False
    return value


def forget_cached_roles(user: Any, project: Project) -> None:
    """`project_role` caches roles on the user object; a membership change must not be stale."""
    cache = getattr(user, "__dict__", {}).get("_project_roles")
    if cache is not None:
        cache.pop(project.pk, None)


# --- Companies --------------------------------------------------------------------------------


def company_create(*, actor: Any, name: str, kind: str) -> Company:
    require_company_administrator(actor, doing="create companies")
    errors = FieldErrors()
    name = text_field(errors, "name", name, max_length=200)
    kind = choice_field(errors, "kind", kind, Company.Kind)
    errors.raise_if_any()
    with transaction.atomic():
        company = Company.objects.create(name=name, kind=kind)
        record_event(
            actor=actor,
            target=company,
            action="company_created",
            changes={"name": (None, name), "kind": (None, kind)},
        )
    return company


# --- Users ------------------------------------------------------------------------------------


def user_create(
    *,
    actor: Any,
    email: str,
    name: str = "",
    company: Company | None,
    password: str | None = None,
    is_company_admin: bool = False,
) -> User:
    """A new login. Without a password the user cannot log in until one is set."""
    may_administer = user_can_administer(actor)
    is_some_project_admin = bool(
        getattr(actor, "is_authenticated", False)
        and actor.is_active
        and Membership.objects.filter(user=actor, permission=Membership.Permission.ADMIN).exists()
    )
    if not (may_administer or is_some_project_admin):
        raise PermissionDenied("Only a company administrator or a project Admin may create users.")
    if is_company_admin and not may_administer:
        raise PermissionDenied("Only a company administrator may create company administrators.")

    errors = FieldErrors()
    email = text_field(errors, "email", email, max_length=254).lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.add("email", "Enter a valid email address.")
        else:
            if User.objects.filter(email__iexact=email).exists():
                errors.add("email", "A user with this email already exists.")
    name = text_field(errors, "name", name, max_length=200, required=False)
    is_company_admin = bool_field(errors, "is_company_admin", is_company_admin)
    if company is not None and not isinstance(company, Company):
        errors.add("company", "Choose a company.")
        company = None
    if is_company_admin and (company is None or company.kind != Company.Kind.CONTRACTOR):
        errors.add(
            "is_company_admin", "Only users of a contractor company can be company administrators."
        )
    if password is not None:
        if not isinstance(password, str):
            errors.add("password", "Password must be text.")
        else:
            try:
                validate_password(password, user=User(email=email, name=name))
            except DjangoValidationError as error:
                for message in error.messages:
                    errors.add("password", message)
    errors.raise_if_any()

    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: the race on the unique email is ours
                user = User.objects.create_user(
                    email,
                    password,
                    name=name,
                    company=company,
                    is_company_admin=is_company_admin,
                )
        except IntegrityError:
            raise ValidationFailed(
                "A user with this email already exists.",
                fields={"email": ["A user with this email already exists."]},
            ) from None
        record_event(
            actor=actor,
            target=user,
            action="user_created",
            changes={
                "email": (None, email),
                "name": (None, name),
                "company": (None, company),
                "is_company_admin": (None, is_company_admin),
            },
        )
    return user


# --- Projects ---------------------------------------------------------------------------------

# The project settings (DOMAIN.md §2, §5.4) and how each is checked.
SETTINGS_FIELDS = (
    "overbilling",
    "rounding",
    "move_stored_to_previous",
    "invite_message",
    "reminder_days_before_due",
    "period_frequency",
    "due_days_after_period_end",
)
MAX_DAYS = 365


def _days(errors: FieldErrors, field: str, value: Any, *, allow_none: bool) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        errors.add(field, f"Enter a whole number of days from 0 to {MAX_DAYS}.")
        return None
    return value


def _clean_settings(
    errors: FieldErrors, settings: Mapping[str, Any], *, prefix: str
) -> dict[str, Any]:
    """Checked settings; each error names `<prefix><key>` as the caller spelt it."""
    cleaned: dict[str, Any] = {}
    for key, value in settings.items():
        field = f"{prefix}{key}"
        if key == "overbilling":
            cleaned[key] = choice_field(errors, field, value, Project.Overbilling)
        elif key == "rounding":
            cleaned[key] = choice_field(errors, field, value, Project.Rounding)
        elif key == "period_frequency":
            cleaned[key] = choice_field(errors, field, value, Project.PeriodFrequency)
        elif key == "move_stored_to_previous":
            cleaned[key] = bool_field(errors, field, value)
        elif key == "invite_message":
            cleaned[key] = text_field(errors, field, value, max_length=5000, required=False)
        elif key == "reminder_days_before_due":
            cleaned[key] = _days(errors, field, value, allow_none=True)
        elif key == "due_days_after_period_end":
            cleaned[key] = _days(errors, field, value, allow_none=False)
        else:
            errors.add(field, f"Unknown setting; use one of: {', '.join(SETTINGS_FIELDS)}.")
    return cleaned


def project_create(
    *,
    actor: Any,
    name: str,
    number: str,
    contractor: Company,
    client: Company | None = None,
    currency: str = Project.Currency.USD,
    address: str = "",
    settings: dict[str, Any] | None = None,
) -> Project:
    """A project run by `contractor`; the creator becomes its first Admin."""
    require_company_administrator(actor, doing="create projects")
    errors = FieldErrors()
    name = text_field(errors, "name", name, max_length=200)
    number = text_field(errors, "number", number, max_length=50)
    if number and Project.objects.filter(number__iexact=number).exists():
        errors.add("number", f"Project number {number} is already used.")
    if not isinstance(contractor, Company) or contractor.kind != Company.Kind.CONTRACTOR:
        errors.add("contractor", "Choose a contractor company.")
    if client is not None and (
        not isinstance(client, Company) or client.kind != Company.Kind.CLIENT
    ):
        errors.add("client", "Choose a client company.")
    currency = choice_field(errors, "currency", currency, Project.Currency)
    address = text_field(errors, "address", address, max_length=300, required=False)
    cleaned_settings = _clean_settings(errors, settings or {}, prefix="settings.")
    errors.raise_if_any()

    with transaction.atomic():
        try:
            with transaction.atomic():
                project = Project.objects.create(
                    name=name,
                    number=number,
                    contractor=contractor,
                    client=client,
                    currency=currency,
                    address=address,
                    **cleaned_settings,
                )
        except IntegrityError:
            raise ValidationFailed(
                f"Project number {number} is already used.",
                fields={"number": [f"Project number {number} is already used."]},
            ) from None
        record_event(
            actor=actor,
            target=project,
            project=project,
            action="project_created",
            changes={
                "name": (None, name),
                "number": (None, number),
                "contractor": (None, contractor),
                "client": (None, client),
                "currency": (None, currency),
                **{key: (None, getattr(project, key)) for key in SETTINGS_FIELDS},
            },
        )
        membership = Membership.objects.create(
            user=actor, project=project, permission=Membership.Permission.ADMIN
        )
        record_event(
            actor=actor,
            target=membership,
            project=project,
            action="membership_set",
            changes={"user": (None, actor.email), "permission": (None, membership.permission)},
        )
    forget_cached_roles(actor, project)
    return project


def project_update_settings(*, actor: Any, project: Project, **settings: Any) -> Project:
    """Change some settings; errors name the keys as passed. Only changed values are recorded."""
    require_project_admin(actor, project)
    errors = FieldErrors()
    cleaned = _clean_settings(errors, settings, prefix="")
    errors.raise_if_any()

    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        changes = {
            key: (getattr(locked, key), value)
            for key, value in cleaned.items()
            if getattr(locked, key) != value
        }
        if changes:
            for key, (_, value) in changes.items():
                setattr(locked, key, value)
            locked.save(update_fields=list(changes))
            record_event(
                actor=actor,
                target=locked,
                project=locked,
                action="project_settings_updated",
                changes=changes,
            )
    for key in SETTINGS_FIELDS:
        setattr(project, key, getattr(locked, key))
    return project


# --- Memberships ------------------------------------------------------------------------------


def membership_set(*, actor: Any, project: Project, user: User, permission: str) -> Membership:
    """Give `user` a permission level on `project`, or change it (one row per user and project).

    A vendor's user is refused: vendors reach their own commitments as payment application
    contacts, never through a membership that would show every commitment (DOMAIN.md §2, §4).
    """
    require_project_admin(actor, project)
    errors = FieldErrors()
    permission = choice_field(errors, "permission", permission, Membership.Permission)
    if not isinstance(user, User):
        errors.add("user", "Choose a user.")
    elif user.company is not None and user.company.kind == Company.Kind.VENDOR:
        errors.add(
            "user",
            "A vendor's user cannot be a project member; add them as a payment application "
            "contact on their commitment instead.",
        )
    errors.raise_if_any()

    with transaction.atomic():
        Project.objects.select_for_update().get(pk=project.pk)  # serialise the Admin count
        before = (
            Membership.objects.filter(user=user, project=project)
            .values_list("permission", flat=True)
            .first()
        )
        if (
            before == Membership.Permission.ADMIN
            and permission != Membership.Permission.ADMIN
            and not Membership.objects.filter(
                project=project, permission=Membership.Permission.ADMIN
            )
            .exclude(user=user)
            .exists()
        ):
            raise ValidationFailed(
                "A project needs at least one Admin; make someone else Admin first.",
                fields={"permission": ["A project needs at least one Admin."]},
            )
        membership, _ = Membership.objects.update_or_create(
            user=user, project=project, defaults={"permission": permission}
        )
        if before != permission:
            changes: dict[str, tuple[Any, Any]] = {"permission": (before, permission)}
            if before is None:
                changes = {"user": (None, user.email), **changes}
            record_event(
                actor=actor,
                target=membership,
                project=project,
                action="membership_set",
                changes=changes,
            )
    forget_cached_roles(user, project)
    return membership
