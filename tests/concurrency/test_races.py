"""Races, with real threads on the real database: exactly one wins, nothing is lost or doubled.

Each test lines its threads up on a barrier so they hit the service at the same moment. On
PostgreSQL the services' `select_for_update` makes the second wait for the first to commit; on
SQLite the IMMEDIATE transaction mode does the same. The loser re-reads the row under the lock
and gets a Conflict (or, for Send Invites, an empty result): the state it expected is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from sitebill.billing.models import Invite, PayApp
from sitebill.billing.services.invites import invites_send
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.core.exceptions import Conflict
from sitebill.core.models import Event

pytestmark = pytest.mark.django_db(transaction=True)

TRIALS = 5


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; return each result or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def submitted_pay_app(world: Any) -> PayApp:
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    return pay_app


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_admins_reviewing_at_once_one_wins_the_other_gets_a_conflict(world, trial):
    # given a pay app under review, seen by two admins at the same version
    pay_app = submitted_pay_app(world)
    seen = pay_app.version

    def review(status: str, comment: str) -> Any:
        return lambda: pay_app_review(
            actor=world.admin, pay_app=pay_app, version=seen, status=status, comment=comment
        )

    # when both press their button at the same moment
    results = race(review("approved", "ok"), review("revise_and_resubmit", "fix line 2"))
    # then exactly one won, the other got a clear conflict, and one review was recorded
    conflicts = [r for r in results if isinstance(r, Conflict)]
    winners = [r for r in results if isinstance(r, PayApp)]
    assert (len(winners), len(conflicts)) == (1, 1), results
    pay_app.refresh_from_db()
    assert pay_app.status == winners[0].status
    assert pay_app.version == seen + 1
    assert Event.objects.filter(target_id=pay_app.pk, action="reviewed").count() == 1


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_double_click_on_submit_submits_once(world, trial):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    results = race(
        lambda: pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version),
        lambda: pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version),
    )
    assert sum(isinstance(r, PayApp) for r in results) == 1, results
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    assert Event.objects.filter(target_id=pay_app.pk, action="submitted").count() == 1


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_double_click_on_send_invites_invites_each_commitment_once(world, trial):
    contracts = [world.commitment, world.other_commitment]
    results = race(
        lambda: invites_send(actor=world.admin, period=world.period, contracts=contracts),
        lambda: invites_send(actor=world.admin, period=world.period, contracts=contracts),
    )
    invited = sorted(len(r.invited) for r in results)
    assert invited == [0, 2], results
    assert Invite.objects.count() == 2
    assert Event.objects.filter(action="invite_sent").count() == 2


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_edits_of_the_same_line_one_wins_and_its_value_stays(world, trial):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = pay_app.lines.order_by("position").first()
    assert line is not None
    seen = pay_app.version

    def edit(amount: str) -> Any:
        return lambda: pay_app_lines_update(
            actor=world.contact,
            pay_app=pay_app,
            version=seen,
            changes=[LineChange(line_id=line.pk, work_completed_this_period=Decimal(amount))],
        )

    results = race(edit("1000.00"), edit("2000.00"))
    winner = [i for i, r in enumerate(results) if not isinstance(r, Exception)]
    assert len(winner) == 1 and isinstance(results[1 - winner[0]], Conflict), results
    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal(["1000.00", "2000.00"][winner[0]])


@pytest.mark.parametrize("trial", range(TRIALS))
def test_a_contact_submitting_while_an_admin_edits_never_loses_the_edit(world, trial):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = pay_app.lines.order_by("position").first()
    assert line is not None
    seen = pay_app.version
    results = race(
        lambda: pay_app_submit(actor=world.contact, pay_app=pay_app, version=seen),
        lambda: pay_app_lines_update(
            actor=world.admin,
            pay_app=pay_app,
            version=seen,
            changes=[LineChange(line_id=line.pk, work_completed_this_period=Decimal("700.00"))],
        ),
    )
    ok = [r for r in results if not isinstance(r, Exception)]
    assert len(ok) == 1 and any(isinstance(r, Conflict) for r in results), results
    pay_app.refresh_from_db()
    line.refresh_from_db()
    if isinstance(results[0], PayApp):  # the submit won: the edit was refused, nothing changed
        assert pay_app.status == "under_review"
        assert line.work_completed_this_period == Decimal("0.00")
        assert line.claimed_work_this_period == Decimal("0.00")
    else:  # the edit won: the submit of the stale version was refused
        assert pay_app.status == "draft"
        assert line.work_completed_this_period == Decimal("700.00")
