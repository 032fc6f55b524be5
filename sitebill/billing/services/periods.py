"""Writes for billing periods: create (by hand or on schedule), close, delete.

Invariants (DOMAIN.md §2):

- Periods of a project never overlap, are numbered 1, 2, ... in date order, and a new one starts
  after the last one ends (so "the previous period" means the same by number and by date).
- Exactly one period is Open: opening a new one closes the previous Open one first, then
  inserts, in one transaction holding the project row lock, so two concurrent creates cannot
  both win (the partial unique constraint `one_open_period_per_project` backs it).
- A period with pay apps or invites cannot be deleted.
- Only a project Admin creates, closes or deletes periods; the scheduler acts as the system
  (Events with no actor).
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sitebill.accounts.models import Project
from sitebill.accounts.services import FieldErrors, require_project_admin
from sitebill.billing.models import BillingPeriod
from sitebill.core.events import record_event
from sitebill.core.exceptions import ApplicationError, Conflict, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

SCHEDULED_FREQUENCIES = (Project.PeriodFrequency.MONTHLY, Project.PeriodFrequency.WEEKLY)


def _date(errors: FieldErrors, field: str, value: Any) -> dt.date | None:
    # A datetime is a date subclass; a period is whole days, so refuse it rather than truncate.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors.add(field, "Enter a date (YYYY-MM-DD).")
        return None
    return value


def _period_changes(period: BillingPeriod) -> dict[str, tuple[Any, Any]]:
    return {
        "number": (None, period.number),
        "start_date": (None, period.start_date),
        "end_date": (None, period.end_date),
        "due_date": (None, period.due_date),
        "status": (None, period.status),
    }


def _period_insert(
    *, actor: Any, project: Project, start_date: Any, end_date: Any, due_date: Any
) -> BillingPeriod:
    """Check, close the Open period, insert the new Open one. Caller holds the project lock."""
    errors = FieldErrors()
    start = _date(errors, "start_date", start_date)
    end = _date(errors, "end_date", end_date)
    due = _date(errors, "due_date", due_date)
    if start and end and end < start:
        errors.add("end_date", "The end date cannot be before the start date.")
    if start and due and due < start:
        errors.add("due_date", "The due date cannot be before the start date.")
    if start and end and end >= start:
        periods = BillingPeriod.objects.filter(project=project)
        overlapping = periods.filter(start_date__lte=end, end_date__gte=start).first()
        last = periods.order_by("-end_date").first()
        if overlapping is not None:
            errors.add("start_date", f"This period overlaps {overlapping}.")
        elif last is not None and start < last.end_date:
            errors.add(
                "start_date",
                f"A new period must start after the last one ends ({last}).",
            )
    errors.raise_if_any()
    assert start and end and due  # for mypy: errors were raised otherwise

    previous = BillingPeriod.objects.filter(
        project=project, status=BillingPeriod.Status.OPEN
    ).first()
    if previous is not None:
        previous.status = BillingPeriod.Status.CLOSED
        previous.save(update_fields=["status"])
        record_event(
            actor=actor,
            target=previous,
            project=project,
            action="billing_period_closed",
            changes={"status": (BillingPeriod.Status.OPEN, BillingPeriod.Status.CLOSED)},
            reason="A new billing period was opened.",
        )
    last_number = BillingPeriod.objects.filter(project=project).aggregate(last=Max("number"))[
        "last"
    ]
    period = BillingPeriod.objects.create(
        project=project,
        number=(last_number or 0) + 1,
        start_date=start,
        end_date=end,
        due_date=due,
        status=BillingPeriod.Status.OPEN,
    )
    record_event(
        actor=actor,
        target=period,
        project=project,
        action="billing_period_opened",
        changes=_period_changes(period),
    )
    return period


def billing_period_create(
    *, actor: Any, project: Project, start_date: dt.date, end_date: dt.date, due_date: dt.date
) -> BillingPeriod:
    """Open the project's next billing period (closing the one that was Open)."""
    require_project_admin(actor, project)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        return _period_insert(
            actor=actor,
            project=locked,
            start_date=start_date,
            end_date=end_date,
            due_date=due_date,
        )


def _lock_period(period: BillingPeriod) -> BillingPeriod:
    Project.objects.select_for_update().get(pk=period.project_id)
    try:
        return BillingPeriod.objects.select_for_update().get(pk=period.pk)
    except BillingPeriod.DoesNotExist:
        raise NotFound("Billing period not found.") from None


def billing_period_close(*, actor: Any, period: BillingPeriod) -> BillingPeriod:
    """Close an Open period (the project then has none Open until the next is created)."""
    require_project_admin(actor, period.project)
    with transaction.atomic():
        locked = _lock_period(period)
        if locked.status != BillingPeriod.Status.OPEN:
            raise Conflict(f"{locked} is already closed.", code="invalid_transition")
        locked.status = BillingPeriod.Status.CLOSED
        locked.save(update_fields=["status"])
        record_event(
            actor=actor,
            target=locked,
            project=period.project,
            action="billing_period_closed",
            changes={"status": (BillingPeriod.Status.OPEN, BillingPeriod.Status.CLOSED)},
        )
    period.status = locked.status
    return period


def billing_period_delete(*, actor: Any, period: BillingPeriod) -> None:
    """Delete a period nobody has billed or been invited in; the history keeps an Event."""
    require_project_admin(actor, period.project)
    with transaction.atomic():
        locked = _lock_period(period)
        if locked.pay_apps.exists():
            raise ValidationFailed(
                "A billing period with pay apps cannot be deleted.", code="period_in_use"
            )
        if locked.invites.exists():
            raise ValidationFailed(
                "A billing period with invites cannot be deleted.", code="period_in_use"
            )
        record_event(
            actor=actor,
            target=locked,
            project=period.project,
            action="billing_period_deleted",
            changes={key: (after, None) for key, (_, after) in _period_changes(locked).items()},
        )
        locked.delete()


# --- Scheduled periods ------------------------------------------------------------------------


def _window(day: dt.date, frequency: str) -> tuple[dt.date, dt.date]:
    """The calendar month, or the Monday..Sunday week, containing `day`."""
    if frequency == Project.PeriodFrequency.WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    if frequency in (Project.PeriodFrequency.MONTHLY, Project.PeriodFrequency.MANUAL):
        last_day = calendar.monthrange(day.year, day.month)[1]
        return day.replace(day=1), day.replace(day=last_day)
    raise ValueError(f"unknown period frequency {frequency!r}: use 'monthly' or 'weekly'")


def billing_period_next_dates(
    *, project: Project, after: dt.date | None, frequency: str, today: dt.date | None = None
) -> tuple[dt.date, dt.date, dt.date]:
    """(start, end, due) of the period that follows one ending `after`.

    It starts the day after `after` and ends with the calendar month (monthly) or the Sunday
    (weekly) containing that start, so a period after a hand-made one that ended mid-month only
    runs to the month's end. With no previous period (`after` None) it is the whole month or
    week containing `today` (default: today's local date). Due = end + the project's
    `due_days_after_period_end`. "manual" suggests a calendar month.
    """
    if after is None:
        start, end = _window(today or timezone.localdate(), frequency)
    else:
        start = after + dt.timedelta(days=1)
        end = _window(start, frequency)[1]
    return start, end, end + dt.timedelta(days=project.due_days_after_period_end)


def _open_due_period(project: Project, today: dt.date) -> BillingPeriod | None:
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        periods = BillingPeriod.objects.filter(project=locked)
        if periods.filter(start_date__lte=today, end_date__gte=today).exists():
            return None
        last = periods.order_by("-end_date").first()
        if last is not None and last.end_date > today:
            # A period was made by hand for later dates: leave the gap to the Admin.
            logger.warning("project %s has a period after %s but none covering it", locked, today)
            return None
        window_start, _ = _window(today, locked.period_frequency)
        after = (
            last.end_date
            if last is not None and last.end_date >= window_start - dt.timedelta(days=1)
            else None
        )
        start, end, due = billing_period_next_dates(
            project=locked, after=after, frequency=locked.period_frequency, today=today
        )
        return _period_insert(
            actor=None, project=locked, start_date=start, end_date=end, due_date=due
        )


def billing_periods_open_due(*, today: dt.date) -> list[BillingPeriod]:
    """For each project on a monthly or weekly schedule with no period covering `today`, open
    the month or week containing it (from the day after the last period, when that ends inside
    it). Idempotent: a second run the same day opens nothing."""
    opened: list[BillingPeriod] = []
    projects = Project.objects.filter(period_frequency__in=SCHEDULED_FREQUENCIES).order_by("pk")
    for project in projects:
        try:
            period = _open_due_period(project, today)
        except ApplicationError as error:  # one project's bad data must not stop the others
            logger.warning("could not open a billing period on %s: %s", project, error.message)
            continue
        if period is not None:
            opened.append(period)
    return opened
