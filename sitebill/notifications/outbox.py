"""Queue mail inside the transaction; deliver it with a task after commit; retry what failed.

`enqueue` writes one OutboxEmail per recipient in the caller's transaction, so a state change
and the mail announcing it commit (or roll back) together, and hands their delivery to the task
queue (`sitebill.notifications.tasks.deliver_emails`, Django's tasks API via django-tasks):

- with a backend that keeps its tasks in this database (django-tasks-db's `DatabaseBackend`,
  production), the task row is written in the same transaction: change, mail and task commit
  together or not at all, and the worker (`manage.py db_worker`) runs the task after the commit;
- with any other backend (the immediate backend of `make run` and the tests), the task is
  enqueued by `transaction.on_commit`, so nothing is sent for a change that rolled back.

Delivery never raises into the request that caused it: a failure is recorded on the row
(attempts, last error, next attempt with exponential backoff) and the task is enqueued again to
run at that time (`schedule_retries`). Where the backend cannot defer a task (the immediate
one), the retry waits for `manage.py deliver_outbox`, which delivers every due message (cron, or
`--loop`); it is also the way to drain the outbox by hand.

Each row is delivered under a row lock and only while it is still Queued, so two workers never
send the same message twice. With the `KeepInOutbox` email backend (`make run` without SMTP)
rows are marked Kept instead of being sent.
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
    return enqueue_many([(to, subject, body)])


def enqueue_many(messages: Iterable[tuple[Iterable[str], str, str]]) -> list[OutboxEmail]:
    """Queue several messages, each `(recipients, subject, body)`, one row per recipient, in
    one insert and one delivery task: sending a message to each of N commitments costs the
    same queries as sending one."""
    rows = [
        OutboxEmail(to=address, subject=subject, body=body)
        for to, subject, body in messages
        for address in sorted({address.strip() for address in to if address and address.strip()})
    ]
    if not rows:
        return []
    created = OutboxEmail.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if len(ids) != len(created):  # backends that don't return ids from bulk inserts
        ids = list(
            OutboxEmail.objects.filter(
                subject__in={row.subject for row in rows},
                to__in={row.to for row in rows},
                status=OutboxEmail.Status.QUEUED,
            ).values_list("pk", flat=True)
        )
    _hand_to_task_queue(ids)
    return created


def _task_backend_is_this_database() -> bool:
    from django_tasks import default_task_backend
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(default_task_backend, DatabaseBackend)


def _enqueue_task(ids: Sequence[int], run_after: dt.datetime | None = None) -> None:
    from sitebill.notifications.tasks import deliver_emails

    task = deliver_emails.using(run_after=run_after) if run_after else deliver_emails
    task.enqueue(list(ids))


def _hand_to_task_queue(ids: Sequence[int]) -> None:
    if _task_backend_is_this_database():
        _enqueue_task(ids)  # in the caller's transaction: commits with the mail
    else:
        transaction.on_commit(partial(enqueue_quietly, ids))


def enqueue_quietly(ids: Sequence[int]) -> None:
    """After commit: hand delivery to the queue; never raise into the request that sent mail."""
    try:
        _enqueue_task(ids)
    except Exception:  # the rows stay Queued; `deliver_outbox` delivers them
        logger.exception("Delivering outbox messages %s failed; they stay queued.", ids)


def schedule_retries(ids: Sequence[int]) -> None:
    """Enqueue the delivery task again for those of `ids` still Queued, at their next attempt.

    Only with a backend that can defer a task; otherwise `manage.py deliver_outbox` retries.
    """
    from django_tasks import default_task_backend

    if not default_task_backend.supports_defer:
        return
    waiting = OutboxEmail.objects.filter(pk__in=ids, status=OutboxEmail.Status.QUEUED)
    pending = list(waiting.values_list("pk", "next_attempt_at"))
    if not pending:
        return
    times = [at for _pk, at in pending if at is not None]
    _enqueue_task([pk for pk, _at in pending], run_after=min(times) if times else None)


@dataclass(frozen=True)
class Report:
    sent: int = 0
    kept: int = 0
    retrying: int = 0
    failed: int = 0


def due(now: dt.datetime | None = None, among: Sequence[int] | None = None) -> list[int]:
    now = now or timezone.now()
    queued = OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    pks = queued.order_by("id").values_list("pk", flat=True)
    if among is not None:
        return list(pks.filter(pk__in=among))
    return list(pks[:500])


def deliver(
    *, ids: Sequence[int] | None = None, now: dt.datetime | None = None, only_due: bool = False
) -> Report:
    """Deliver the given (or every due) Queued message, one row lock at a time.

    With `ids` and `only_due`, a message whose next attempt is still ahead is left for then.
    """
    now = now or timezone.now()
    if ids is not None and only_due:
        ids = due(now, among=ids)
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
    """Put Failed messages back in the queue, due now, and hand them to the task queue."""
    with transaction.atomic():
        failed = OutboxEmail.objects.select_for_update().filter(
            pk__in=ids, status=OutboxEmail.Status.FAILED
        )
        requeued = list(failed.values_list("pk", flat=True))
        OutboxEmail.objects.filter(pk__in=requeued).update(
            status=OutboxEmail.Status.QUEUED, attempts=0, next_attempt_at=None
        )
        if requeued:
            _hand_to_task_queue(requeued)
    return len(requeued)
