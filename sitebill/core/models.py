"""The history of everything that matters: one append-only Event table.

Every change to money, status, permission or settings appends an Event in the same transaction
as the change (services call `record_event`). Events are never edited or deleted.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class Event(models.Model):
    """Who did what to which object, when, with the values before and after."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    project = models.ForeignKey(
        "accounts.Project", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    target_type = models.CharField(max_length=40)
    target_id = models.BigIntegerField()
    action = models.CharField(max_length=60)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type} {self.target_id}"

    @property
    def change_list(self) -> list[tuple[str, Any, Any]]:
        return [(k, v[0], v[1]) for k, v in self.changes.items() if isinstance(v, list)]
