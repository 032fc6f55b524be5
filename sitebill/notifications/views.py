"""The outbox page: the mail sitebill sent, so a user of `make run` can open it and click.

Who sees what: with OUTBOX_PUBLIC (on in `make run`'s dev settings only) every message is
listed for anyone, so a new user can read the Invite to Bill without a mailbox; otherwise a
superuser sees every message and any other user only the messages addressed to them.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from sitebill.notifications.models import OutboxEmail


def _visible(request: HttpRequest) -> QuerySet[OutboxEmail] | None:
    if getattr(settings, "OUTBOX_PUBLIC", False):
        return OutboxEmail.objects.all()
    user = request.user
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return OutboxEmail.objects.all()
    email = getattr(user, "email", "")
    return OutboxEmail.objects.filter(to__iexact=email)


def outbox(request: HttpRequest) -> HttpResponse:
    messages = _visible(request)
    if messages is None:
        return redirect_to_login(request.get_full_path())
    return render(
        request,
        "notifications/outbox.html",
        {
            "emails": messages[:200],
            "nav": "outbox",
            "public": getattr(settings, "OUTBOX_PUBLIC", False),
        },
    )


def outbox_message(request: HttpRequest, message_id: int) -> HttpResponse:
    messages = _visible(request)
    if messages is None:
        return redirect_to_login(request.get_full_path())
    message = messages.filter(pk=message_id).first()
    if message is None:
        raise Http404("Message not found.")
    return render(request, "notifications/outbox_message.html", {"email": message, "nav": "outbox"})
