"""The task that delivers queued mail (Django's tasks API, via django-tasks).

Production runs the database backend of django-tasks-db: the task row is written in the same
transaction as the change and its OutboxEmail rows (see `outbox.enqueue`), and the worker
(`manage.py db_worker`) runs it after the commit. A delivery that fails leaves the message
Queued with its next attempt time (backoff) and enqueues this task again to run then.
"""

from __future__ import annotations

from dataclasses import asdict

from django_tasks import task

from sitebill.notifications import outbox


@task()
def deliver_emails(email_ids: list[int]) -> dict[str, int]:
    """Deliver the messages of `email_ids` that are due; schedule the next try of the rest."""
    report = outbox.deliver(ids=email_ids, only_due=True)
    outbox.schedule_retries(email_ids)
    return asdict(report)
