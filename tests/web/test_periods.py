"""Billing periods: the list for everyone on the project, the create form for an Admin."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import BillingPeriod


def url(world) -> str:
    return f"/projects/{world.project.pk}/billing-periods/"


@pytest.mark.parametrize("role", ["admin", "standard", "read_only", "contact"])
def test_the_periods_are_listed_for_everyone_on_the_project(login, world, role):
    # given a pay app in period 1
    world.commitment.pay_apps.create(
        billing_period=world.period, number=1, created_by=world.contact
    )
    # when
    response = login(role).get(url(world))
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f'<a href="/projects/{world.project.pk}/billing-periods/" aria-current="page">'
        "Billing Periods</a>",
        html=True,
    )
    assertContains(
        response,
        """<tr><td>1</td><td>Nov 1, 2026</td><td>Nov 30, 2026</td><td>Dec 31, 2099</td>
        <td><span class="pill pill--open">Open</span></td><td class="num">1</td></tr>""",
        html=True,
    )


def test_a_stranger_gets_not_found(login, world):
    assert login("stranger").get(url(world)).status_code == 404


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_only_an_admin_sees_the_create_form(login, world, role):
    # when
    response = login(role).get(url(world))
    # then
    assertNotContains(response, "New billing period")
    assertNotContains(response, 'name="start_date"')


@pytest.mark.parametrize(
    ("role", "status"), [("standard", 403), ("read_only", 403), ("contact", 403), ("stranger", 404)]
)
def test_a_post_from_anyone_but_an_admin_is_refused_and_saves_nothing(login, world, role, status):
    # when
    response = login(role).post(
        url(world),
        {"start_date": "2026-12-01", "end_date": "2026-12-31", "due_date": "2027-01-05"},
    )
    # then
    assert response.status_code == status
    assert BillingPeriod.objects.filter(project=world.project).count() == 1
    if status == 403:
        assertContains(response, "Admin", status_code=403)


def test_an_admin_creates_the_next_period_and_the_previous_one_closes(login, world):
    # given
    client = login("admin")
    # when
    response = client.post(
        url(world),
        {"start_date": "2026-12-01", "end_date": "2026-12-31", "due_date": "2027-01-05"},
        follow=True,
    )
    # then
    assertRedirects(response, url(world))
    assertContains(
        response,
        '<div class="alert alert--success" role="status">Billing period 2 created.</div>',
        html=True,
    )
    assertContains(
        response,
        """<tr><td>2</td><td>Dec 1, 2026</td><td>Dec 31, 2026</td><td>Jan 5, 2027</td>
        <td><span class="pill pill--open">Open</span></td><td class="num">0</td></tr>""",
        html=True,
    )
    assertContains(response, '<span class="pill pill--closed">Closed</span>', html=True)
    period = BillingPeriod.objects.get(project=world.project, number=2)
    assert (period.start_date, period.end_date, period.due_date) == (
        dt.date(2026, 12, 1),
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 5),
    )


def test_an_overlapping_period_shows_the_error_next_to_the_field_and_saves_nothing(login, world):
    # when
    response = login("admin").post(
        url(world),
        {"start_date": "2026-11-15", "end_date": "2026-12-15", "due_date": "2026-12-20"},
    )
    # then
    assert response.status_code == 200
    assertContains(
        response,
        '<ul class="errorlist" id="id_start_date_error">'
        "<li>This period overlaps Period 1 (Nov 01, 2026 - Nov 30, 2026).</li></ul>",
        html=True,
    )
    assertContains(response, 'aria-describedby="id_start_date_error"')
    # and the values are kept
    assertContains(response, 'value="2026-11-15"')
    assertContains(response, 'value="2026-12-15"')
    assertContains(response, 'value="2026-12-20"')
    assert BillingPeriod.objects.filter(project=world.project).count() == 1
    world.period.refresh_from_db()
    assert world.period.status == BillingPeriod.Status.OPEN


def test_a_missing_date_is_refused_at_its_field(login, world):
    # when
    response = login("admin").post(
        url(world), {"start_date": "2026-12-01", "end_date": "", "due_date": "2027-01-05"}
    )
    # then
    assertContains(
        response,
        '<ul class="errorlist" id="id_end_date_error"><li>This field is required.</li></ul>',
        html=True,
    )
    assert BillingPeriod.objects.filter(project=world.project).count() == 1


def test_the_create_form_labels_every_date_input(login, world):
    # when
    response = login("admin").get(url(world))
    # then
    for name, label in [
        ("start_date", "Start date"),
        ("end_date", "End date"),
        ("due_date", "Due date"),
    ]:
        assertContains(response, f'<label for="id_{name}">{label}:</label>', html=True)
        assertContains(response, f'type="date" name="{name}"')
