"""The outbox: every email sitebill sends is a row first, written in the same transaction as
the change it reports, then delivered after commit (`sitebill.notifications.outbox`).

A message is never lost: if the SMTP server is down it stays Queued and is retried with backoff
until it is Sent, or Failed after MAX_ATTEMPTS (still listed, and retried on request). With no
SMTP server configured (`make run`), mail is Kept here and `/outbox/` shows it, so a new user can
open an Invite to Bill and click its links.
"""

from __future__ import annotations

from django.db import models


class OutboxEmail(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        KEPT = "kept", "Kept in outbox"

    to = models.TextField(help_text="Comma-separated recipients.")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subject} -> {self.to}"

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.to.split(",") if a.strip()]
