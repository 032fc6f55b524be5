"""Billing periods: one Open at a time, never overlapping, by hand or on schedule (DOMAIN.md §2)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sitebill.billing.models import BillingPeriod, Invite, PayApp
from sitebill.billing.services.periods import (
    billing_period_close,
    billing_period_create,
    billing_period_delete,
    billing_period_next_dates,
    billing_periods_open_due,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories

date = dt.date


def _periods(project):
    return list(
        BillingPeriod.objects.filter(project=project)
        .order_by("number")
        .values_list("number", "start_date", "end_date", "due_date", "status")
    )


def _create(world, start, end, due, actor=None):
    return billing_period_create(
        actor=actor or world.admin,
        project=world.project,
        start_date=start,
        end_date=end,
        due_date=due,
    )


# --- billing_period_create --------------------------------------------------------------------


def test_opening_the_next_period_closes_the_open_one(world):
    # when
    period = _create(world, date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 5))
    # then
    assert _periods(world.project) == [
        (1, date(2026, 11, 1), date(2026, 11, 30), date(2099, 12, 31), "closed"),
        (2, date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 5), "open"),
    ]
    assert period.number == 2 and period.is_open
    closed, opened = Event.objects.filter(target_type="billingperiod").order_by("id")
    assert (closed.action, closed.target_id, closed.actor) == (
        "billing_period_closed",
        world.period.pk,
        world.admin,
    )
    assert closed.changes == {"status": ["open", "closed"]}
    assert (opened.action, opened.target_id, opened.project) == (
        "billing_period_opened",
        period.pk,
        world.project,
    )
    assert opened.changes == {
        "number": [None, 2],
        "start_date": [None, "2026-12-01"],
        "end_date": [None, "2026-12-31"],
        "due_date": [None, "2027-01-05"],
        "status": [None, "open"],
    }


def test_the_first_period_of_a_project_is_number_one(world):
    # given
    project = factories.ProjectFactory(contractor=world.contractor)
    factories.MembershipFactory(project=project, user=world.admin)
    # when
    period = billing_period_create(
        actor=world.admin,
        project=project,
        start_date=date(2026, 1, 1),
        end_date=date(2026, 1, 31),
        due_date=date(2026, 1, 25),  # due before the end is allowed: due >= start
    )
    # then
    assert _periods(project) == [
        (1, date(2026, 1, 1), date(2026, 1, 31), date(2026, 1, 25), "open")
    ]
    assert period.number == 1


def test_a_period_that_overlaps_another_is_refused_and_nothing_is_saved(world):
    # given
    before = _periods(world.project)
    events = Event.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _create(world, date(2026, 11, 30), date(2026, 12, 31), date(2027, 1, 5))
    # then
    assert refusal.value.fields == {
        "start_date": ["This period overlaps Period 1 (Nov 01, 2026 - Nov 30, 2026)."]
    }
    assert refusal.value.message == "This period overlaps Period 1 (Nov 01, 2026 - Nov 30, 2026)."
    assert _periods(world.project) == before
    assert Event.objects.count() == events


def test_a_period_ending_before_it_starts_and_due_before_it_starts_is_refused(world):
    # given
    before = _periods(world.project)
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _create(world, date(2026, 12, 31), date(2026, 12, 1), date(2026, 12, 30))
    # then
    assert refusal.value.fields == {
        "end_date": ["The end date cannot be before the start date."],
        "due_date": ["The due date cannot be before the start date."],
    }
    assert _periods(world.project) == before


def test_a_period_before_the_last_one_is_refused(world):
    # given
    before = _periods(world.project)
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _create(world, date(2026, 10, 1), date(2026, 10, 31), date(2026, 11, 5))
    # then
    assert refusal.value.fields == {
        "start_date": [
            "A new period must start after the last one ends "
            "(Period 1 (Nov 01, 2026 - Nov 30, 2026))."
        ]
    }
    assert _periods(world.project) == before


def test_a_date_that_is_not_a_date_is_refused(world):
    with pytest.raises(ValidationFailed) as refusal:
        _create(
            world,
            "2026-12-01",
            timezone.now(),
            date(2027, 1, 5),
        )
    assert refusal.value.fields == {
        "start_date": ["Enter a date (YYYY-MM-DD)."],
        "end_date": ["Enter a date (YYYY-MM-DD)."],
    }


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("stranger", NotFound),
        ("anonymous", NotFound),
    ],
)
def test_only_an_admin_opens_a_period(world, role, error):
    # given
    before = _periods(world.project)
    # when
    with pytest.raises(error):
        billing_period_create(
            actor=world.role(role),
            project=world.project,
            start_date=date(2026, 12, 1),
            end_date=date(2026, 12, 31),
            due_date=date(2027, 1, 5),
        )
    # then
    assert _periods(world.project) == before


# --- close and delete -------------------------------------------------------------------------


def test_an_admin_closes_the_open_period(world):
    # when
    period = billing_period_close(actor=world.admin, period=world.period)
    # then
    assert period.status == "closed"
    world.period.refresh_from_db()
    assert world.period.status == "closed"
    (event,) = Event.objects.filter(action="billing_period_closed")
    assert (event.actor, event.changes) == (world.admin, {"status": ["open", "closed"]})


def test_closing_a_closed_period_is_a_conflict(world):
    billing_period_close(actor=world.admin, period=world.period)
    with pytest.raises(Conflict) as refusal:
        billing_period_close(actor=world.admin, period=world.period)
    assert refusal.value.message == "Period 1 (Nov 01, 2026 - Nov 30, 2026) is already closed."
    assert Event.objects.filter(action="billing_period_closed").count() == 1


def test_a_standard_user_cannot_close_a_period(world):
    with pytest.raises(PermissionDenied):
        billing_period_close(actor=world.standard, period=world.period)
    world.period.refresh_from_db()
    assert world.period.status == "open"


def test_an_admin_deletes_a_period_nobody_billed_in(world):
    # given
    pk = world.period.pk
    # when
    billing_period_delete(actor=world.admin, period=world.period)
    # then
    assert not BillingPeriod.objects.filter(pk=pk).exists()
    (event,) = Event.objects.filter(action="billing_period_deleted")
    assert event.target_id == pk
    assert event.changes["start_date"] == ["2026-11-01", None]
    # and the next period takes number 1 again
    period = _create(world, date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 5))
    assert period.number == 1


def test_a_billing_period_with_pay_apps_cannot_be_deleted(world):
    # given
    PayApp.objects.create(
        contract=world.commitment, billing_period=world.period, number=1, created_by=world.admin
    )
    # when
    with pytest.raises(ValidationFailed) as refusal:
        billing_period_delete(actor=world.admin, period=world.period)
    # then
    assert refusal.value.message == "A billing period with pay apps cannot be deleted."
    assert refusal.value.code == "period_in_use"
    assert BillingPeriod.objects.filter(pk=world.period.pk).exists()
    assert not Event.objects.filter(action="billing_period_deleted").exists()


def test_a_billing_period_with_invites_cannot_be_deleted(world):
    # given
    Invite.objects.create(
        contract=world.commitment,
        billing_period=world.period,
        sent_at=timezone.now(),
        sent_by=world.admin,
    )
    # when
    with pytest.raises(ValidationFailed) as refusal:
        billing_period_delete(actor=world.admin, period=world.period)
    # then
    assert refusal.value.message == "A billing period with invites cannot be deleted."
    assert BillingPeriod.objects.filter(pk=world.period.pk).exists()


def test_a_contact_cannot_delete_a_period(world):
    with pytest.raises(PermissionDenied):
        billing_period_delete(actor=world.contact, period=world.period)
    assert BillingPeriod.objects.filter(pk=world.period.pk).exists()


# --- next dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "frequency", "expected"),
    [
        # the calendar month after the last period, due 5 days after its end
        (date(2026, 11, 30), "monthly", (date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 5))),
        (date(2028, 1, 31), "monthly", (date(2028, 2, 1), date(2028, 2, 29), date(2028, 3, 5))),
        # after a hand-made period ending mid-month, the rest of that month
        (
            date(2026, 11, 15),
            "monthly",
            (date(2026, 11, 16), date(2026, 11, 30), date(2026, 12, 5)),
        ),
        # Monday to Sunday (Nov 1 2026 is a Sunday)
        (date(2026, 11, 1), "weekly", (date(2026, 11, 2), date(2026, 11, 8), date(2026, 11, 13))),
        (date(2026, 11, 4), "weekly", (date(2026, 11, 5), date(2026, 11, 8), date(2026, 11, 13))),
    ],
)
def test_the_next_period_dates_follow_the_calendar(world, after, frequency, expected):
    assert (
        billing_period_next_dates(project=world.project, after=after, frequency=frequency)
        == expected
    )


def test_without_a_previous_period_the_dates_are_the_month_or_week_of_today(world):
    world.project.due_days_after_period_end = 10
    today = date(2026, 11, 18)  # a Wednesday
    assert billing_period_next_dates(
        project=world.project, after=None, frequency="monthly", today=today
    ) == (date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 10))
    assert billing_period_next_dates(
        project=world.project, after=None, frequency="weekly", today=today
    ) == (date(2026, 11, 16), date(2026, 11, 22), date(2026, 12, 2))


def test_an_unknown_frequency_is_a_programming_error(world):
    with pytest.raises(ValueError, match="unknown period frequency"):
        billing_period_next_dates(project=world.project, after=None, frequency="daily")


# --- scheduled opening ------------------------------------------------------------------------


def _scheduled_project(world, frequency):
    project = factories.ProjectFactory(contractor=world.contractor, period_frequency=frequency)
    return project


def test_the_scheduler_opens_the_month_covering_today_once(world):
    # given
    project = _scheduled_project(world, "monthly")
    # when
    opened = billing_periods_open_due(today=date(2027, 2, 10))
    again = billing_periods_open_due(today=date(2027, 2, 11))
    # then
    assert opened == [BillingPeriod.objects.get(project=project)]
    assert again == []
    assert _periods(project) == [(1, date(2027, 2, 1), date(2027, 2, 28), date(2027, 3, 5), "open")]
    (event,) = Event.objects.filter(action="billing_period_opened", project=project)
    assert event.actor is None


def test_the_scheduler_leaves_manual_projects_alone(world):
    # world.project is manual, and its open period does not cover today
    assert billing_periods_open_due(today=date(2027, 2, 10)) == []
    assert _periods(world.project) == [
        (1, date(2026, 11, 1), date(2026, 11, 30), date(2099, 12, 31), "open")
    ]


def test_the_scheduler_starts_the_day_after_a_hand_made_period_and_closes_it(world):
    # given
    world.project.period_frequency = "monthly"
    world.project.save(update_fields=["period_frequency"])
    # when a period ending Nov 30 is followed on Dec 3
    (period,) = billing_periods_open_due(today=date(2026, 12, 3))
    # then
    assert _periods(world.project) == [
        (1, date(2026, 11, 1), date(2026, 11, 30), date(2099, 12, 31), "closed"),
        (2, date(2026, 12, 1), date(2026, 12, 31), date(2027, 1, 5), "open"),
    ]
    assert period.number == 2


def test_the_scheduler_opens_weeks_and_skips_missed_ones(world):
    # given a weekly project whose last period ended weeks ago
    project = _scheduled_project(world, "weekly")
    factories.BillingPeriodFactory(
        project=project,
        number=1,
        start_date=date(2026, 11, 2),
        end_date=date(2026, 11, 8),
        due_date=date(2026, 11, 13),
    )
    # when
    billing_periods_open_due(today=date(2026, 11, 26))  # a Thursday
    # then
    assert _periods(project) == [
        (1, date(2026, 11, 2), date(2026, 11, 8), date(2026, 11, 13), "closed"),
        (2, date(2026, 11, 23), date(2026, 11, 29), date(2026, 12, 4), "open"),
    ]


def test_the_scheduler_does_not_fill_a_gap_before_a_later_hand_made_period(world):
    # given the Admin already made next month's period by hand
    world.project.period_frequency = "monthly"
    world.project.save(update_fields=["period_frequency"])
    _create(world, date(2027, 1, 1), date(2027, 1, 31), date(2027, 2, 5))
    # when the scheduler runs in December, which no period covers
    assert billing_periods_open_due(today=date(2026, 12, 15)) == []
    # then
    assert len(_periods(world.project)) == 2


def test_the_command_prints_what_it_opened(world):
    # given
    project = _scheduled_project(world, "monthly")
    out = StringIO()
    # when
    call_command("open_billing_periods", "--date", "2027-02-10", stdout=out)
    call_command("open_billing_periods", "--date", "2027-02-10", stdout=out)
    # then
    assert out.getvalue().splitlines() == [
        f"Opened Period 1 (Feb 01, 2027 - Feb 28, 2027) on {project}, due Mar 05, 2027.",
        "No billing periods to open on Feb 10, 2027.",
    ]
