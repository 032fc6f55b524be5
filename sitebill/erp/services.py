"""The ERP export queue (DOMAIN.md §6): send, accept, reject.

An Admin sends Approved progress billings of a project to the queue in one format (an
`ErpExport`, Ready to Export); an accounting approver (a project Admin) accepts it, which
produces the file with the format's writer and marks the pay apps Exported, or rejects it with a
reason, which marks them Rejected and returns them to Revise & Resubmit (editable) through the
Admin status correction, so their history says why.

Invariants:
- Only progress billings (pay apps of commitments) of the export's project, Approved or
  Approved as Noted, are sent; the figures of each must tie (`sitebill.erp.bills.check_ties`).
- A pay app is never exported twice unless re-sent on purpose: one already Ready to Export or
  Exported is refused unless the caller passes `resend=True`.
- Each step is one transaction that locks what it changes (the export row, then the pay app
  rows in primary-key order, the order every service takes them in), re-checks the state under
  the lock and appends Events: `erp_sent` / `erp_exported` / `erp_rejected` on each pay app,
  `erp_export_sent` / `erp_export_accepted` / `erp_export_rejected` on the export. An export
  decided by someone else meanwhile is a Conflict (409), and nothing changes.
- Choice: accepting re-checks that every pay app is still Approved (an export that waited while
  one of its pay apps was corrected is refused: reject it and send again), and builds the file
  from the figures at that moment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from sitebill.accounts.access import Role, access_project
from sitebill.accounts.models import Project
from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import pay_app_set_status
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, ValidationFailed
from sitebill.erp.bills import Bill, BillDoesNotTie, check_ties
from sitebill.erp.models import ErpExport
from sitebill.erp.quickbooks_iif import write_iif
from sitebill.erp.sage300 import write_sage300
from sitebill.erp.selectors import erp_bills

E = PayApp.ErpStatus
F = ErpExport.Format

WRITERS = {F.QUICKBOOKS_IIF: write_iif, F.SAGE300_CRE: write_sage300}
EXTENSIONS = {F.QUICKBOOKS_IIF: "iif", F.SAGE300_CRE: "csv"}
CONTENT_TYPES = {
    F.QUICKBOOKS_IIF: "text/plain; charset=windows-1252",
    F.SAGE300_CRE: "text/csv; charset=windows-1252",
}
#: QuickBooks Desktop and Sage 300 CRE read import files in the Windows ANSI code page: a UTF-8
#: "é" would import as "Ã©". A character outside it is written as "?".
ENCODING = "cp1252"


def erp_send(
    *,
    actor: Any,
    project: Project,
    format: str,
    pay_apps: Sequence[PayApp | int],
    resend: bool = False,
) -> ErpExport:
    """Put Approved progress billings of `project` in the ERP queue, Ready to Export.

    `pay_apps` are pay apps or their ids; one that is not a progress billing of `project` is
    named in a ValidationFailed on `pay_apps`."""
    access_project(actor, project.pk, at_least=Role.ADMIN)
    if format not in F.values:
        raise ValidationFailed(
            "Choose an export format.",
            fields={"format": [f"Choose one of: {', '.join(F.values)}."]},
        )
    ids = sorted({p if isinstance(p, int) else p.pk for p in pay_apps})
    if not ids:
        raise ValidationFailed(
            "Choose at least one pay app to send.",
            fields={"pay_apps": ["Choose at least one approved pay app."]},
        )
    with transaction.atomic():
        locked = list(
            PayApp.objects.select_for_update(of=("self",))
            .select_related("contract", "contract__project", "contract__counterparty")
            .select_related("billing_period")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        _check_sendable(project=project, ids=ids, pay_apps=locked, resend=resend)
        _bills_that_tie(locked)
        export = ErpExport.objects.create(project=project, format=format, created_by=actor)
        export.pay_apps.set(locked)
        record_event(
            actor=actor,
            target=export,
            action="erp_export_sent",
            project=project,
            changes={
                "status": (None, ErpExport.Status.READY),
                "pay_apps": (None, ids),
                "format": (None, format),
            },
            reason="re-sent on purpose" if resend else "",
        )
        for pay_app in locked:
            before = pay_app.erp_status
            pay_app.erp_status = E.READY
            pay_app.save(update_fields=["erp_status", "updated_at"])
            record_event(
                actor=actor,
                target=pay_app,
                action="erp_sent",
                project=project,
                changes={"erp_status": (before, E.READY)},
                reason=f"ERP export {export.pk} ({export.get_format_display()})"
                + (", re-sent on purpose" if before else ""),
            )
    return export


def erp_accept(*, actor: Any, export: ErpExport) -> ErpExport:
    """Produce the export's file and mark its pay apps Exported (an accounting approver)."""
    project = access_project(actor, export.project_id, at_least=Role.ADMIN)
    with transaction.atomic():
        locked = _lock_ready(export)
        pay_apps = _lock_pay_apps(locked)
        not_approved = [p for p in pay_apps if p.status not in PayApp.APPROVED_STATUSES]
        if not_approved:
            raise Conflict(
                "These pay apps are no longer approved: "
                + ", ".join(f"{_name(p)} ({p.get_status_display()})" for p in not_approved)
                + ". Reject this export and send them again once they are approved.",
                code="not_approved",
            )
        bills = _bills_that_tie(pay_apps)
        locked.content = WRITERS[F(locked.format)](bills)
        locked.file_name = export_file_name(locked)
        locked.status = ErpExport.Status.EXPORTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["content", "file_name", "status", "decided_by", "decided_at"])
        record_event(
            actor=actor,
            target=locked,
            action="erp_export_accepted",
            project=project,
            changes={
                "status": (ErpExport.Status.READY, ErpExport.Status.EXPORTED),
                "file_name": ("", locked.file_name),
            },
        )
        for pay_app in pay_apps:
            before = pay_app.erp_status
            pay_app.erp_status = E.EXPORTED
            pay_app.save(update_fields=["erp_status", "updated_at"])
            record_event(
                actor=actor,
                target=pay_app,
                action="erp_exported",
                project=project,
                changes={"erp_status": (before, E.EXPORTED)},
                reason=f"ERP export {locked.pk}: {locked.file_name}",
            )
    return locked


def erp_reject(*, actor: Any, export: ErpExport, reason: str) -> ErpExport:
    """Reject the export: its pay apps are Rejected and back to Revise & Resubmit, with why."""
    project = access_project(actor, export.project_id, at_least=Role.ADMIN)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the export is rejected.",
            fields={"reason": ["Give a reason: the vendor and the reviewers will read it."]},
        )
    with transaction.atomic():
        locked = _lock_ready(export)
        pay_apps = _lock_pay_apps(locked)
        locked.status = ErpExport.Status.REJECTED
        locked.reason = reason
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "reason", "decided_by", "decided_at"])
        record_event(
            actor=actor,
            target=locked,
            action="erp_export_rejected",
            project=project,
            changes={"status": (ErpExport.Status.READY, ErpExport.Status.REJECTED)},
            reason=reason,
        )
        for pay_app in pay_apps:
            before = pay_app.erp_status
            pay_app.erp_status = E.REJECTED
            pay_app.save(update_fields=["erp_status", "updated_at"])
            record_event(
                actor=actor,
                target=pay_app,
                action="erp_rejected",
                project=project,
                changes={"erp_status": (before, E.REJECTED)},
                reason=reason,
            )
            if pay_app.status != PayApp.Status.REVISE_AND_RESUBMIT:
                # Back to editable through the Admin correction, so the history shows it.
                pay_app_set_status(
                    actor=actor,
                    pay_app=pay_app,
                    version=None,
                    status=PayApp.Status.REVISE_AND_RESUBMIT,
                    reason=f"Rejected from ERP export {locked.pk}: {reason}",
                )
    return locked


def export_file_name(export: ErpExport) -> str:
    """`<project number>-erp-export-<id>.<iif|csv>`, safe as a file name."""
    number = re.sub(r"[^A-Za-z0-9._-]+", "-", export.project.number).strip("-.") or "project"
    return f"{number}-erp-export-{export.pk}.{EXTENSIONS[F(export.format)]}"


def export_file(export: ErpExport) -> tuple[bytes, str]:
    """The produced file as bytes in the ERP's code page, and its content type."""
    return export.content.encode(ENCODING, errors="replace"), CONTENT_TYPES[F(export.format)]


# --------------------------------------------------------------------------------------------


def _name(pay_app: PayApp) -> str:
    return f"{pay_app.contract.number} pay app #{pay_app.number}"


def _check_sendable(
    *, project: Project, ids: list[int], pay_apps: list[PayApp], resend: bool
) -> None:
    """Refuse what may not be sent: 400 for pay apps that are not this project's progress
    billings, 409 for pay apps whose state does not allow it (not approved, already sent)."""
    found = {pay_app.pk: pay_app for pay_app in pay_apps}
    wrong = [
        f"No progress billing {pk} on this project."
        for pk in ids
        if pk not in found
        or found[pk].contract.project_id != project.pk
        or not found[pk].contract.is_commitment
    ]
    if wrong:
        raise ValidationFailed(wrong[0], fields={"pay_apps": wrong})
    not_approved = [
        f"{_name(pay_app)} is {pay_app.get_status_display()}: only Approved pay apps are sent "
        "to the ERP."
        for pay_app in pay_apps
        if pay_app.status not in PayApp.APPROVED_STATUSES
    ]
    already_sent = [
        f"{_name(pay_app)} is already {pay_app.get_erp_status_display()}: a pay app is exported "
        "once; send it again on purpose (resend) to export it again."
        for pay_app in pay_apps
        if pay_app.erp_status in (E.READY, E.EXPORTED) and not resend
    ]
    if not_approved or already_sent:
        problems = not_approved + already_sent
        code = "not_approved" if not_approved else "already_sent"
        raise Conflict(problems[0], code=code, fields={"pay_apps": problems})


def _bills_that_tie(pay_apps: list[PayApp]) -> list[Bill]:
    bills = erp_bills(pay_apps)
    problems = []
    for bill in bills:
        try:
            check_ties(bill)
        except BillDoesNotTie as error:
            problems.append(f"{str(error).capitalize()}: correct the pay app before exporting it.")
    if problems:
        raise ValidationFailed(problems[0], code="does_not_tie", fields={"pay_apps": problems})
    return bills


def _lock_ready(export: ErpExport) -> ErpExport:
    locked = (
        ErpExport.objects.select_for_update(of=("self",))
        .select_related("project", "decided_by")
        .get(pk=export.pk)
    )
    if locked.status != ErpExport.Status.READY:
        by = locked.decided_by.display_name if locked.decided_by else "someone"
        raise Conflict(
            f"This export was already {locked.get_status_display().lower()} by {by}: "
            "nothing was changed.",
            code="already_decided",
        )
    return locked


def _lock_pay_apps(export: ErpExport) -> list[PayApp]:
    ids = list(export.pay_apps.values_list("pk", flat=True))
    return list(
        PayApp.objects.select_for_update(of=("self",))
        .select_related("contract", "contract__project", "contract__counterparty")
        .select_related("billing_period")
        .filter(pk__in=ids)
        .order_by("pk")
    )
