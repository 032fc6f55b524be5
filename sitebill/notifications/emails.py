"""The emails sitebill sends (DOMAIN.md §7), queued by the services inside their transaction.

Each function loads what it needs, renders a plain-text body from a template and queues one
outbox row per recipient (`sitebill.notifications.outbox`), delivered after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from sitebill.billing.models import Invite, PayApp, PayAppLine
from sitebill.notifications import outbox


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _send(to: Iterable[str], subject: str, template: str, context: dict[str, object]) -> int:
    body = render_to_string(f"notifications/{template}", context)
    return len(outbox.enqueue(to=to, subject=subject, body=body))


def send_invites(invite_ids: Sequence[int]) -> int:
    from sitebill.billing.services.invites import invite_link_token

    # One query for the invites and their contacts, one insert for all the mail: sending to
    # every commitment of a project costs what sending to one does.
    messages: list[tuple[list[str], str, str]] = []
    invites = (
        Invite.objects.filter(pk__in=invite_ids)
        .select_related("contract", "contract__project", "billing_period", "sent_by")
        .prefetch_related("contract__contacts")
    )
    for invite in invites:
        project = invite.contract.project
        inviter = invite.sent_by.display_name
        context = {
            "invite": invite,
            "project": project,
            "inviter": inviter,
            "accept_url": absolute(
                reverse("web:invite_respond", args=["accept", invite_link_token(invite, "accept")])
            ),
            "decline_url": absolute(
                reverse(
                    "web:invite_respond", args=["decline", invite_link_token(invite, "decline")]
                )
            ),
        }
        messages.append(
            (
                [contact.email for contact in invite.contract.contacts.all()],
                f"{project.name}: {inviter} has invited you to bill.",
                render_to_string("notifications/invite_to_bill.txt", context),
            )
        )
    return len(outbox.enqueue_many(messages))


def _pay_app(pay_app_id: int) -> PayApp:
    return PayApp.objects.select_related(
        "contract", "contract__project", "contract__counterparty", "billing_period"
    ).get(pk=pay_app_id)


def _context(pay_app: PayApp) -> dict[str, object]:
    return {
        "pay_app": pay_app,
        "contract": pay_app.contract,
        "project": pay_app.contract.project,
        "url": absolute(reverse("web:pay_app", args=[pay_app.pk])),
    }


def send_submitted(pay_app_id: int) -> int:
    pay_app = _pay_app(pay_app_id)
    return _send(
        pay_app.contract.distribution.values_list("email", flat=True),
        f"{pay_app.contract.project.name}: {pay_app.contract.counterparty.name} submitted "
        f"pay app #{pay_app.number} for {pay_app.contract.number}",
        "pay_app_submitted.txt",
        _context(pay_app),
    )


def send_revise_and_resubmit(pay_app_id: int) -> int:
    pay_app = _pay_app(pay_app_id)
    rejected = pay_app.lines.filter(review_status=PayAppLine.ReviewStatus.REJECTED).order_by(
        "position", "id"
    )
    return _send(
        pay_app.contract.contacts.values_list("email", flat=True),
        f"{pay_app.contract.project.name}: Revise & Resubmit pay app #{pay_app.number} "
        f"for {pay_app.contract.number}",
        "pay_app_revise_and_resubmit.txt",
        {**_context(pay_app), "rejected": list(rejected)},
    )


def send_approved(pay_app_id: int) -> int:
    pay_app = _pay_app(pay_app_id)
    return _send(
        pay_app.contract.contacts.values_list("email", flat=True),
        f"{pay_app.contract.project.name}: pay app #{pay_app.number} for "
        f"{pay_app.contract.number} is {pay_app.get_status_display()}",
        "pay_app_approved.txt",
        _context(pay_app),
    )


def send_reminder(invite_id: int, recipients: Sequence[str]) -> int:
    invite = Invite.objects.select_related("contract", "contract__project", "billing_period").get(
        pk=invite_id
    )
    project = invite.contract.project
    return _send(
        recipients,
        f"{project.name}: your pay app for {invite.contract.number} is due "
        f"{invite.billing_period.due_date:%b %d, %Y}",
        "reminder.txt",
        {
            "invite": invite,
            "project": project,
            "url": absolute(reverse("web:contact_dashboard")),
        },
    )
