"""An email backend that keeps messages in the outbox table instead of sending them."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage, EmailMultiAlternatives

from sitebill.notifications.models import OutboxEmail


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            html = ""
            if isinstance(message, EmailMultiAlternatives):
                for content, mimetype in message.alternatives:
                    if mimetype == "text/html":
                        html = str(content)
            OutboxEmail.objects.create(
                to=", ".join(message.to),
                subject=str(message.subject),
                body=str(message.body),
                html_body=html,
                status=OutboxEmail.Status.KEPT,
            )
        return len(email_messages)
