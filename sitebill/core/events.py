"""Appending to the history. Called by services inside their transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from sitebill.core.models import Event


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def record_event(
    *,
    actor: Any,
    target: models.Model,
    action: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    project: Any = None,
    reason: str = "",
) -> Event:
    """Append an Event: `changes` maps a field to (from, to)."""
    return Event.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        project=project,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        action=action,
        changes={k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items()},
        reason=reason,
    )
