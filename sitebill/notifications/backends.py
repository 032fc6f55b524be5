"""Mail backends of our own."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage


class KeepInOutbox(BaseEmailBackend):
    """No delivery at all: the outbox rows are marked Kept and shown at /outbox/.

    The default when no SMTP server is configured (`make run`). Every message is already a row
    in the outbox (sitebill.notifications.outbox.enqueue), so there is nothing else to do.
    """

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        return 0
