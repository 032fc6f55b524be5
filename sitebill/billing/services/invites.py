"""Invite to Bill: send, accept, decline (DOMAIN.md §3; the seeds' first document).

Invite status of a commitment in a period is derived: No Payment Application Contacts (no
contact), Not Invited (no Invite row), else the Invite's own status (Invited, Accepted,
Declined). Sending is idempotent per commitment and period (a unique constraint): a double click
invites once and reports the rest as already invited.

Links in the email are signed with a salt per action (accept or decline), carry the invite id
and expire (INVITE_LINK_MAX_AGE); they identify the invite, never log anybody in: the contact
must be logged in as that contact to answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from sitebill.accounts.access import Role, contract_role, is_contact, project_role
from sitebill.billing.models import BillingPeriod, Invite, InvoiceType, PayApp, PayAppLine
from sitebill.contracts.models import ChangeOrderLine, Contract, SOVLine
from sitebill.core.events import record_event, record_events
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed

INVITE_LINK_MAX_AGE = 60 * 60 * 24 * 45  # 45 days: a billing period plus its due-date slack

NO_CONTACTS = "no_contacts"
NOT_INVITED = "not_invited"
STATUS_LABELS = {
    NO_CONTACTS: "No Payment Application Contacts",
    NOT_INVITED: "Not Invited",
    Invite.Status.INVITED: "Invited",
    Invite.Status.ACCEPTED: "Accepted",
    Invite.Status.DECLINED: "Declined",
}
STATUS_ORDER = [NO_CONTACTS, NOT_INVITED, "invited", "accepted", "declined"]


@dataclass
class InviteRow:
    """One commitment on the Subcontractor tab."""

    contract: Contract
    status: str
    invite: Invite | None
    contract_value: Decimal
    billed_to_date: Decimal
    pay_app: PayApp | None
    blocked_reason: str = ""

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def percent_complete(self) -> Decimal:
        if self.contract_value == 0:
            return Decimal("0.00")
        return (self.billed_to_date * 100 / self.contract_value).quantize(Decimal("0.01"))

    @property
    def can_invite(self) -> bool:
        return self.status == NOT_INVITED and not self.blocked_reason


@dataclass
class InviteBoard:
    period: BillingPeriod | None
    rows: list[InviteRow]
    counts: dict[str, int] = field(default_factory=dict)


def invite_board(
    *, period: BillingPeriod | None, contracts: Sequence[Contract], today: dt.date | None = None
) -> InviteBoard:
    """The rows and counts of the Subcontractor tab, in a fixed number of queries."""
    today = today or timezone.localdate()
    contracts = list(contracts)
    ids = [c.pk for c in contracts]
    contacts = dict(
        Contract.objects.filter(pk__in=ids).annotate(n=Count("contacts")).values_list("pk", "n")
    )
    values: dict[int, Decimal] = {i: Decimal("0.00") for i in ids}
    for cid, total in (
        SOVLine.objects.filter(contract_id__in=ids)
        .values("contract_id")
        .annotate(t=Sum("scheduled_value"))
        .values_list("contract_id", "t")
    ):
        values[cid] += total or Decimal("0.00")
    for cid, total in (
        ChangeOrderLine.objects.filter(
            change_order__contract_id__in=ids, change_order__status="approved"
        )
        .values("change_order__contract_id")
        .annotate(t=Sum("amount"))
        .values_list("change_order__contract_id", "t")
    ):
        values[cid] += total or Decimal("0.00")
    # The latest pay app of each commitment: ids only (a commitment billed monthly for years
    # has dozens of pay apps, each with its stored summary).
    latest: dict[int, int] = dict(
        PayApp.objects.filter(contract_id__in=ids)
        .order_by("contract_id", "number")
        .values_list("contract_id", "pk")
    )
    billed: dict[int, Decimal] = dict(
        PayAppLine.objects.filter(pay_app__in=list(latest.values()))
        .values("pay_app__contract_id")
        .annotate(
            g=Sum("work_completed_previous")
            + Sum("work_completed_this_period")
            + Sum("materials_presently_stored")
        )
        .values_list("pay_app__contract_id", "g")
    )
    invites = (
        {
            i.contract_id: i
            for i in Invite.objects.filter(billing_period=period, contract_id__in=ids)
        }
        if period
        else {}
    )
    period_pay_apps = (
        {
            p.contract_id: p
            for p in PayApp.objects.filter(billing_period=period, contract_id__in=ids).defer(
                "summary"
            )
        }
        if period
        else {}
    )
    rows: list[InviteRow] = []
    for contract in contracts:
        invite = invites.get(contract.pk)
        if invite is not None:
            status = invite.status
        elif contacts.get(contract.pk, 0) == 0:
            status = NO_CONTACTS
        else:
            status = NOT_INVITED
        row = InviteRow(
            contract=contract,
            status=status,
            invite=invite,
            contract_value=values[contract.pk],
            billed_to_date=billed.get(contract.pk) or Decimal("0.00"),
            pay_app=period_pay_apps.get(contract.pk),
        )
        row.blocked_reason = _blocked_reason(row, period, today)
        rows.append(row)
    counts = dict.fromkeys(STATUS_ORDER, 0)
    for row in rows:
        counts[row.status] += 1
    return InviteBoard(period=period, rows=rows, counts=counts)


def _blocked_reason(row: InviteRow, period: BillingPeriod | None, today: dt.date) -> str:
    if row.status == NO_CONTACTS:
        return "Add a payment application contact to invite this commitment."
    if row.status != NOT_INVITED:
        return ""
    if period is None:
        return "There is no Open billing period."
    if not period.is_open:
        return "This billing period is Closed."
    if today > period.due_date:
        return "The due date of this billing period has passed."
    if not row.contract.is_invoiceable:
        return f"The commitment is {row.contract.get_status_display()}."
    if row.contract_value > 0 and row.billed_to_date >= row.contract_value:
        return "The commitment is billed to 100%."
    if row.pay_app is not None:
        return "A pay app already exists for this period."
    return ""


@dataclass
class SendResult:
    invited: list[Invite]
    skipped: dict[int, str]  # contract id -> why

    @property
    def message(self) -> str:
        n = len(self.invited)
        text = f"{n} invite{'s' if n != 1 else ''} sent." if n else "No invites were sent."
        if self.skipped:
            text += f" {len(self.skipped)} skipped."
        return text


def invites_send(
    *,
    actor: Any,
    period: BillingPeriod,
    contracts: Sequence[Contract],
    invoice_type: str = InvoiceType.WORK_AND_MATERIALS,
    today: dt.date | None = None,
) -> SendResult:
    """Send an Invite to Bill to every contact of each commitment (Admin only)."""
    today = today or timezone.localdate()
    if project_role(actor, period.project) != Role.ADMIN:
        raise PermissionDenied("Only an Admin can send invites.")
    if invoice_type not in InvoiceType.values:
        raise ValidationFailed(
            "Unknown invoice type.", fields={"invoice_type": [f"'{invoice_type}' is not valid."]}
        )
    if not contracts:
        raise ValidationFailed(
            "Select at least one commitment.", fields={"commitments": ["Select at least one."]}
        )
    foreign = [c for c in contracts if c.project_id != period.project_id or not c.is_commitment]
    if foreign:
        raise NotFound("Commitment not found.")
    if not period.is_open:
        raise Conflict(
            f"{period} is closed: invites go out for the Open period.", code="period_closed"
        )
    if today > period.due_date:
        raise ValidationFailed(
            f"The due date ({period.due_date:%b %d, %Y}) has passed: no more invites for this "
            "period.",
            code="past_due",
        )
    with transaction.atomic():
        BillingPeriod.objects.select_for_update().filter(pk=period.pk).first()
        board = invite_board(period=period, contracts=contracts, today=today)
        now = timezone.now()
        to_create: list[Invite] = []
        skipped: dict[int, str] = {}
        for row in board.rows:
            if row.status != NOT_INVITED:
                skipped[row.contract.pk] = (
                    "Already " + row.status_label.lower() + "."
                    if row.invite
                    else row.blocked_reason or row.status_label
                )
                continue
            if row.blocked_reason:
                skipped[row.contract.pk] = row.blocked_reason
                continue
            to_create.append(
                Invite(
                    contract=row.contract,
                    billing_period=period,
                    invoice_type=invoice_type,
                    sent_at=now,
                    sent_by=actor,
                )
            )
        created = Invite.objects.bulk_create(to_create, ignore_conflicts=True)
        # ignore_conflicts leaves pks unset on some backends: read back what this call created.
        invited = list(
            Invite.objects.filter(
                billing_period=period,
                contract_id__in=[i.contract_id for i in created],
                sent_at=now,
            ).select_related("contract")
        )
        record_events(
            actor=actor,
            targets=invited,
            action="invite_sent",
            project=period.project,
            changes={"status": (NOT_INVITED, Invite.Status.INVITED)},
        )
        from sitebill.notifications import emails

        invite_ids = [i.pk for i in invited]
        emails.send_invites(invite_ids)
    return SendResult(invited=invited, skipped=skipped)


def invite_require_answerer(actor: Any, contract: Any) -> None:
    """Only a payment application contact of the commitment answers its invite. A project
    member sees the invite but may not answer it (403); anyone else may not see it (404)."""
    if is_contact(actor, contract):
        return
    if contract_role(actor, contract) >= Role.READ_ONLY:
        raise PermissionDenied(
            "Only a payment application contact of this commitment can answer its Invite to Bill."
        )
    raise NotFound("Invite not found.")


def _answer(
    *, actor: Any, invite: Invite, status: str, today: dt.date | None
) -> tuple[Invite, bool]:
    """Accept or decline. Returns (invite, changed); answering twice changes nothing."""
    with transaction.atomic():
        locked = (
            Invite.objects.select_for_update()
            .select_related("contract", "contract__project", "billing_period")
            .get(pk=invite.pk)
        )
        invite_require_answerer(actor, locked.contract)
        if locked.status != Invite.Status.INVITED:
            return locked, False
        today = today or timezone.localdate()
        if status == Invite.Status.ACCEPTED and today > locked.billing_period.due_date:
            raise ValidationFailed(
                f"The due date ({locked.billing_period.due_date:%b %d, %Y}) has passed: ask the "
                "contractor to create the pay app on your behalf.",
                code="past_due",
            )
        before = locked.status
        locked.status = status
        locked.responded_at = timezone.now()
        locked.responded_by = actor
        locked.save(update_fields=["status", "responded_at", "responded_by"])
        record_event(
            actor=actor,
            target=locked,
            action=f"invite_{status}",
            project=locked.contract.project,
            changes={"status": (before, status)},
        )
    return locked, True


def invite_accept(
    *, actor: Any, invite: Invite, today: dt.date | None = None
) -> tuple[Invite, bool]:
    return _answer(actor=actor, invite=invite, status=Invite.Status.ACCEPTED, today=today)


def invite_decline(
    *, actor: Any, invite: Invite, today: dt.date | None = None
) -> tuple[Invite, bool]:
    invite_obj, changed = _answer(
        actor=actor, invite=invite, status=Invite.Status.DECLINED, today=today
    )
    return invite_obj, changed


def invite_link_token(invite: Invite, action: str) -> str:
    """A signed, single-purpose token for the email's Accept or Decline link."""
    return signing.TimestampSigner(salt=f"sitebill.invite.{action}").sign_object({"i": invite.pk})


def invite_from_token(token: str, action: str) -> Invite:
    """The invite a link names, or ValidationFailed when the link is forged or expired."""
    try:
        data = signing.TimestampSigner(salt=f"sitebill.invite.{action}").unsign_object(
            token, max_age=INVITE_LINK_MAX_AGE
        )
    except signing.SignatureExpired:
        raise ValidationFailed(
            "This link has expired. Open the pay app from sitebill instead.", code="link_expired"
        ) from None
    except signing.BadSignature:
        raise ValidationFailed("This link is not valid.", code="link_invalid") from None
    try:
        return Invite.objects.select_related("contract", "billing_period").get(pk=int(data["i"]))
    except (Invite.DoesNotExist, KeyError, TypeError, ValueError):
        raise NotFound("Invite not found.") from None


def invites_for_contact(user: Any) -> Any:
    return (
        Invite.objects.filter(contract__contacts=user)
        .select_related("contract", "contract__project", "billing_period")
        .order_by("-sent_at")
    )


def reminders_send(*, today: dt.date | None = None) -> list[Invite]:
    """Email the contacts who have not submitted, N days before the due date (project setting).

    Sent once per invite: a `reminder_sent` Event marks it, so a scheduler may run this as
    often as it likes. Runs on the system's behalf (no actor).
    """
    today = today or timezone.localdate()
    reminded: list[Invite] = []
    candidates = Invite.objects.filter(
        billing_period__status=BillingPeriod.Status.OPEN,
        billing_period__due_date__gte=today,
        status__in=[Invite.Status.INVITED, Invite.Status.ACCEPTED],
        contract__project__reminder_days_before_due__isnull=False,
    ).select_related("contract", "contract__project", "billing_period")
    from sitebill.core.models import Event
    from sitebill.notifications import emails

    for invite in candidates:
        days = invite.contract.project.reminder_days_before_due
        if days is None or (invite.billing_period.due_date - today).days > days:
            continue
        submitted = PayApp.objects.filter(
            contract=invite.contract, billing_period=invite.billing_period
        ).exclude(status=PayApp.Status.DRAFT)
        if submitted.exists():
            continue
        with transaction.atomic():
            Invite.objects.select_for_update().filter(pk=invite.pk).first()
            if Event.objects.filter(
                target_type="invite", target_id=invite.pk, action="reminder_sent"
            ).exists():
                continue
            record_event(
                actor=None,
                target=invite,
                action="reminder_sent",
                project=invite.contract.project,
            )
            recipients = list(invite.contract.contacts.values_list("email", flat=True))
            emails.send_reminder(invite.pk, recipients)
        reminded.append(invite)
    return reminded
