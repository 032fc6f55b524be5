"""The pay app status map (DOMAIN.md §4): which transition, from which status, by whom.

Every status change goes through `check_transition`, which raises; nothing is skipped silently.
The services call it inside their transaction after locking the pay app row.
"""

from __future__ import annotations

from sitebill.accounts.access import Role
from sitebill.billing.models import PayApp
from sitebill.core.exceptions import Conflict, PermissionDenied

S = PayApp.Status

#: Statuses in which the vendor's amounts may be edited by contacts and Standard users.
EDITABLE = frozenset({S.DRAFT, S.REVISE_AND_RESUBMIT})

#: submit: Draft or Revise & Resubmit -> Under Review (contact, Standard, Admin).
SUBMITTABLE = EDITABLE

#: review outcomes an Admin may set, from each status.
REVIEW_OUTCOMES: dict[str, frozenset[str]] = {
    S.UNDER_REVIEW: frozenset(
        {S.REVISE_AND_RESUBMIT, S.APPROVED, S.APPROVED_AS_NOTED, S.PENDING_OWNER_APPROVAL}
    ),
    S.PENDING_OWNER_APPROVAL: frozenset({S.APPROVED, S.APPROVED_AS_NOTED, S.REVISE_AND_RESUBMIT}),
}


def label(status: str) -> str:
    return str(S(status).label)


def can_edit(role: Role, status: str) -> bool:
    """Admins edit in any status that is not approved; others only in Draft or R&R."""
    if role == Role.ADMIN:
        return status not in PayApp.APPROVED_STATUSES
    if role in (Role.STANDARD, Role.CONTACT):
        return status in EDITABLE
    return False


def check_edit(role: Role, status: str) -> None:
    if role < Role.CONTACT or role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot edit pay apps.")
    if not can_edit(role, status):
        raise Conflict(
            f"This pay app is {label(status)}: it can no longer be edited.", code="not_editable"
        )


def check_submit(role: Role, status: str) -> None:
    if role < Role.CONTACT or role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot submit pay apps.")
    if status not in SUBMITTABLE:
        raise Conflict(
            f"This pay app is {label(status)}: only a Draft or a Revise & Resubmit pay app "
            "can be submitted.",
            code="invalid_transition",
        )


def check_review(role: Role, status: str, outcome: str) -> None:
    if role != Role.ADMIN:
        raise PermissionDenied("Only an Admin can review a pay app.")
    if outcome not in {s.value for s in S} or outcome in (S.DRAFT, S.UNDER_REVIEW):
        raise Conflict(f"'{outcome}' is not a review outcome.", code="invalid_transition")
    allowed = REVIEW_OUTCOMES.get(status, frozenset())
    if outcome not in allowed:
        raise Conflict(
            f"This pay app is {label(status)}: it cannot be set to {label(outcome)} by a review.",
            code="invalid_transition",
        )


def check_correction(role: Role) -> None:
    if role != Role.ADMIN:
        raise PermissionDenied("Only an Admin can correct a pay app's status.")
