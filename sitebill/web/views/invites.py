"""Answering an Invite to Bill: the email's links, and the buttons of the contact dashboard.

The email links (`/invites/<accept|decline>/<token>/`) are signed, single-purpose and expire
(`invite_link_token` / `invite_from_token`). A GET never changes anything, because mail scanners
and link previews fetch links: it shows the invite and one button, and only the POST of that
button answers. The link identifies the invite, never a person: the reader must be logged in
(else the login page, with `next` back to the link), and must be a payment application contact
of that commitment: a project member who sees the commitment gets the 403 page, anyone else the
404 page, as for any object that is not theirs. A forged or expired
link is a 400 page that says so. Answering twice changes nothing and says when it was answered.

The dashboard's buttons post to `/invites/<id>/<accept|decline>/`, loaded from the commitments
the user may see (404 otherwise) and answered only by their contacts (403 otherwise). After
Accept the contact goes on to create the pay app; after Decline, back to the dashboard.

Password reset ("Set or reset your password" on the login page) is Django's, with our
templates: `SetOrResetPasswordForm` also mails users who have no password yet, because a
payment application contact created without one (`user_create`) sets it this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_POST

from sitebill.accounts.access import contracts_for_user
from sitebill.billing.models import Invite
from sitebill.billing.services.invites import (
    invite_accept,
    invite_decline,
    invite_from_token,
    invite_require_answerer,
)
from sitebill.core.exceptions import NotFound, ValidationFailed
from sitebill.web.views._access import access_errors

ACTIONS = ("accept", "decline")


@require_http_methods(["GET", "POST"])
@login_required
@access_errors
def invite_respond(request: HttpRequest, action: str, token: str) -> HttpResponse:
    """The page an email link opens: the invite and one POST button."""
    if action not in ACTIONS:
        raise NotFound("Invite not found.")
    try:
        invite = invite_from_token(token, action)
    except ValidationFailed as error:
        return render(
            request, "web/invites/link_error.html", {"message": error.message}, status=400
        )
    invite_require_answerer(request.user, invite.contract)
    if request.method == "POST":
        invite, changed = _answer(request, invite, action)
        if changed:
            return _after_answer(request, invite)
    return render(
        request,
        "web/invites/respond.html",
        {
            "invite": invite,
            "project": invite.contract.project,
            "action": action,
            "already": already_answered(invite, request.user),
            "nav": "billing",
        },
    )


@require_POST
@login_required
@access_errors
def invite_answer(request: HttpRequest, invite_id: str, action: str) -> HttpResponse:
    """Accept or Decline from the contact dashboard."""
    if action not in ACTIONS:
        raise NotFound("Invite not found.")
    invite = (
        Invite.objects.select_related("contract", "contract__project", "billing_period")
        .filter(pk=int(invite_id), contract__in=contracts_for_user(request.user).values("pk"))
        .first()
    )
    if invite is None:
        raise NotFound("Invite not found.")
    invite_require_answerer(request.user, invite.contract)
    invite, changed = _answer(request, invite, action)
    if not changed:
        messages.info(request, already_answered(invite, request.user))
        return redirect("web:contact_dashboard")
    return _after_answer(request, invite)


def already_answered(invite: Invite, user: Any) -> str:
    """ "You already accepted this invite on Mar 3, 2026.", or "" while it waits for an answer.

    A commitment may have several contacts: when another one answered, the message names them.
    """
    if invite.status == Invite.Status.INVITED:
        return ""
    verb = "accepted" if invite.status == Invite.Status.ACCEPTED else "declined"
    who = "You"
    if invite.responded_by_id is not None and invite.responded_by_id != user.pk:
        who = invite.responded_by.display_name if invite.responded_by else "Another contact"
    if invite.responded_at is None:
        return f"{who} already {verb} this invite."
    day = date_format(timezone.localtime(invite.responded_at).date(), "M j, Y")
    return f"{who} already {verb} this invite on {day}."


def _answer(request: HttpRequest, invite: Invite, action: str) -> tuple[Invite, bool]:
    answer = invite_accept if action == "accept" else invite_decline
    return answer(actor=request.user, invite=invite)


def _after_answer(request: HttpRequest, invite: Invite) -> HttpResponse:
    contract = invite.contract
    if invite.status == Invite.Status.ACCEPTED:
        messages.success(
            request,
            f"You accepted the Invite to Bill for {contract.number} {contract.title}, "
            f"Period {invite.billing_period.number}. Create your progress billing now.",
        )
        return redirect(reverse("web:pay_app_new", args=[contract.pk]))
    messages.success(
        request,
        f"You declined the Invite to Bill for {contract.number} {contract.title}, "
        f"Period {invite.billing_period.number}. No pay app will be created for this period.",
    )
    return redirect("web:contact_dashboard")


class SetOrResetPasswordForm(PasswordResetForm):
    """Django's reset form, which also reaches active users who have no password yet."""

    def get_users(self, email: str) -> Iterator[Any]:
        user_model: Any = get_user_model()
        email_field = user_model.get_email_field_name()
        users = user_model._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        )
        return (user for user in users if getattr(user, email_field).lower() == email.lower())
