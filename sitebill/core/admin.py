from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sitebill.core.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: the history is append-only."""

    list_display = ["created_at", "actor", "action", "target_type", "target_id"]
    list_filter = ["action", "target_type"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
