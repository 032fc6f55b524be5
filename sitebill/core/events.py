"""Appending to the history. Called by services inside their transaction."""

from __future__ import annotations

from collections.abc import Sequence
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


def _event(
    *, actor: Any, target: models.Model, action: str, changes: Any, project: Any, reason: str
) -> Event:
    return Event(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        project=project,
        target_type=target._meta.model_name or "",
        target_id=target.pk,
        action=action,
        changes={k: [_plain(a), _plain(b)] for k, (a, b) in (changes or {}).items()},
        reason=reason,
    )


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
    event = _event(
        actor=actor, target=target, action=action, changes=changes, project=project, reason=reason
    )
    event.save(force_insert=True)
    return event


def record_events(
    *,
    actor: Any,
    targets: Sequence[models.Model],
    action: str,
    changes: dict[str, tuple[Any, Any]] | None = None,
    project: Any = None,
    reason: str = "",
) -> list[Event]:
    """Append the same Event to each of `targets` in one insert (one action on many objects,
    such as N invites sent at once): `record_event` for each, at the cost of one query."""
    return Event.objects.bulk_create(
        _event(
            actor=actor,
            target=target,
            action=action,
            changes=changes,
            project=project,
            reason=reason,
        )
        for target in targets
    )
