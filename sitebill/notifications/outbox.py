"""Queue mail inside the transaction; deliver it after commit; retry what failed.

`enqueue` writes one OutboxEmail per recipient in the caller's transaction, so a state change
and the mail announcing it commit (or roll back) together, and registers delivery with
`transaction.on_commit`. Delivery never raises into the request that caused it: a failure is
recorded on the row (attempts, last error, next attempt with exponential backoff) and
`manage.py deliver_outbox` (cron, or `--loop` as a worker) retries it.

Each row is delivered under a row lock and only while it is still Queued, so two workers never
send the same message twice. With the `KeepInOutbox` backend (`make run` without SMTP) rows are
marked Kept instead of being sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sitebill.notifications.models import OutboxEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=6)
KEEP_BACKEND = "sitebill.notifications.backends.KeepInOutbox"


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... doubling, at most 6 hours."""
    delay = BASE_DELAY * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_DELAY)


def enqueue(*, to: Iterable[str], subject: str, body: str) -> list[OutboxEmail]:
    """Queue one message per recipient; deliver them once the transaction commits."""
    recipients = sorted({address.strip() for address in to if address and address.strip()})
    rows = [OutboxEmail(to=address, subject=subject, body=body) for address in recipients]
    if not rows:
        return []
    created = OutboxEmail.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if len(ids) != len(created):  # backends that don't return ids from bulk inserts
        ids = list(
            OutboxEmail.objects.filter(
                subject=subject, to__in=recipients, status=OutboxEmail.Status.QUEUED
            ).values_list("pk", flat=True)
        )
    transaction.on_commit(partial(deliver_quietly, ids))
    return created


@dataclass(frozen=True)
class Report:
    sent: int = 0
    kept: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_quietly(ids: Sequence[int]) -> None:
    """Deliver after commit; never raise into the request that queued the mail."""
    try:
        deliver(ids=ids)
    except Exception:  # the rows stay Queued and the worker retries them
        logger.exception("Delivering outbox messages %s failed; they stay queued.", ids)


def due(now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("pk", flat=True)[:500]
    )


def deliver(*, ids: Sequence[int] | None = None, now: dt.datetime | None = None) -> Report:
    """Deliver the given (or every due) Queued message, one row lock at a time."""
    now = now or timezone.now()
    counts = {"sent": 0, "kept": 0, "retrying": 0, "failed": 0}
    keep = settings.EMAIL_BACKEND == KEEP_BACKEND
    for pk in ids if ids is not None else due(now):
        with transaction.atomic():
            row = (
                OutboxEmail.objects.select_for_update()
                .filter(pk=pk, status=OutboxEmail.Status.QUEUED)
                .first()
            )
            if row is None:
                continue
            if keep:
                row.status = OutboxEmail.Status.KEPT
                row.save(update_fields=["status"])
                counts["kept"] += 1
                continue
            row.attempts += 1
            try:
                message = EmailMessage(subject=row.subject, body=row.body, to=[row.to])
                with get_connection(fail_silently=False, timeout=20) as connection:
                    connection.send_messages([message])
            except Exception as exc:  # SMTP down, refused, timed out: record, retry later
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status = OutboxEmail.Status.FAILED
                    row.next_attempt_at = None
                    counts["failed"] += 1
                else:
                    row.next_attempt_at = timezone.now() + backoff(row.attempts)
                    counts["retrying"] += 1
                row.save(update_fields=["attempts", "last_error", "next_attempt_at", "status"])
                continue
            row.status = OutboxEmail.Status.SENT
            row.sent_at = timezone.now()
            row.next_attempt_at = None
            row.save(update_fields=["attempts", "status", "sent_at", "next_attempt_at"])
            counts["sent"] += 1
    return Report(**counts)


def retry(*, ids: Sequence[int]) -> int:
    """Put Failed messages back in the queue, due now."""
    return OutboxEmail.objects.filter(pk__in=ids, status=OutboxEmail.Status.FAILED).update(
        status=OutboxEmail.Status.QUEUED, attempts=0, next_attempt_at=None
    )
