"""Who may act on a pay app the caller can already see (DOMAIN.md §4), checked by the views
before they read the body, so that a caller who may not act gets 403 whatever they send.

The services check again (defence in depth); these mirror their rules:
edit, delete, attach, submit: a contact, Standard or Admin (not Read Only); retainage rates:
Standard or Admin; a retainage release: an Admin, or a contact or Standard user on a retainage
invoice; review, status corrections, payments: an Admin.
"""

from __future__ import annotations

from typing import Any

from sitebill.accounts.access import Role, contract_role
from sitebill.billing.models import InvoiceType
from sitebill.core.exceptions import NotFound, PermissionDenied

_VENDOR_MAY_RELEASE = (InvoiceType.WORK_MATERIALS_AND_RETAINAGE, InvoiceType.RETAINAGE_RELEASE)


def _role(user: Any, pay_app: Any) -> Role:
    role = contract_role(user, pay_app.contract)
    if role == Role.NONE:
        raise NotFound("Pay app not found.")
    return role


def pay_app_require_editor(user: Any, pay_app: Any) -> Role:
    """A contact, Standard or Admin user: Read Only users may not change a pay app."""
    role = _role(user, pay_app)
    if role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot edit pay apps.")
    return role


def pay_app_require_role(user: Any, pay_app: Any, at_least: Role, *, refusal: str) -> Role:
    """At least `at_least` on the pay app's contract, else 403 with the `refusal` message."""
    role = _role(user, pay_app)
    if role < at_least:
        raise PermissionDenied(refusal)
    return role


def pay_app_require_releaser(user: Any, pay_app: Any) -> Role:
    """An Admin; or a contact or Standard user on a retainage invoice."""
    role = _role(user, pay_app)
    if role == Role.ADMIN:
        return role
    if role in (Role.CONTACT, Role.STANDARD) and pay_app.invoice_type in _VENDOR_MAY_RELEASE:
        return role
    raise PermissionDenied(
        "Retainage is released by an Admin, or billed on a 'Work, Materials & Retainage' or "
        "'Retainage Release' invoice."
    )
