"""The pay app list of a project: who sees which pay apps, the money columns, filters, pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_submit,
)
from sitebill.web.views import pay_app_lists
from tests import factories


def url(world) -> str:
    return f"/projects/{world.project.pk}/pay-apps/"


def billed(world, contract, *, work: str, period: BillingPeriod | None = None) -> PayApp:
    """A Draft pay app with E = `work` on the contract's first line."""
    pay_app = pay_app_create(
        actor=world.admin,
        contract=contract,
        billing_period=period or world.period,
        on_behalf_of=contract.contacts.first(),
    )
    first = pay_app.lines.order_by("position", "id").first()
    pay_app_lines_update(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        changes=[LineChange(line_id=first.pk, work_completed_this_period=Decimal(work))],
    )
    pay_app.refresh_from_db()
    return pay_app


@pytest.fixture
def two_pay_apps(world) -> tuple[PayApp, PayApp]:
    concrete = billed(world, world.commitment, work="10000.00")
    electrical = billed(world, world.other_commitment, work="4000.00")
    pay_app_submit(actor=world.other_contact, pay_app=electrical)
    electrical.refresh_from_db()
    return concrete, electrical


def row(
    pay_app: PayApp,
    *,
    status: str,
    label: str,
    submitted: str,
    work: str,
    due: str,
    payment: str = '<span class="muted">Unpaid</span>',
) -> str:
    contract = pay_app.contract
    return f"""<tr>
      <td><a href="/commitments/{contract.pk}/">{contract.number}</a> {contract.title}</td>
      <td>{contract.counterparty.name}</td>
      <td><a href="/pay-apps/{pay_app.pk}/">#{pay_app.number}</a></td>
      <td class="nowrap">Period {pay_app.billing_period.number}</td>
      <td><span class="pill pill--{status}">{label}</span></td>
      <td>{submitted}</td>
      <td class="num">{work}</td>
      <td class="num">{due}</td>
      <td class="nowrap">{payment}</td>
    </tr>"""


def concrete_row(pay_app: PayApp) -> str:
    return row(
        pay_app,
        status="draft",
        label="Draft",
        submitted='<span class="muted">Not submitted</span>',
        work="$10,000.00",
        due="$9,000.00",
    )


def electrical_row(pay_app: PayApp) -> str:
    day = pay_app.submitted_at
    return row(
        pay_app,
        status="under-review",
        label="Under Review",
        submitted=f"{day:%b} {day.day}, {day.year}",
        work="$4,000.00",
        due="$3,600.00",
    )


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
def test_members_see_every_pay_app_with_its_figures(login, world, two_pay_apps, role):
    # given
    concrete, electrical = two_pay_apps
    # when
    response = login(role).get(url(world))
    # then
    assert response.status_code == 200
    assertContains(response, f'<a href="{url(world)}" aria-current="page">Pay Apps</a>', html=True)
    assertContains(response, concrete_row(concrete), html=True)
    assertContains(response, electrical_row(electrical), html=True)


@pytest.mark.parametrize(("role", "own", "other"), [("contact", 0, 1), ("other_contact", 1, 0)])
def test_a_contact_sees_only_its_own_pay_apps(login, world, two_pay_apps, role, own, other):
    # when
    response = login(role).get(url(world))
    # then
    assertContains(response, f'<a href="/pay-apps/{two_pay_apps[own].pk}/">')
    assertNotContains(response, f'<a href="/pay-apps/{two_pay_apps[other].pk}/">')


def test_a_stranger_gets_not_found(login, world, two_pay_apps):
    assert login("stranger").get(url(world)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, world):
    assertRedirects(
        client.get(url(world)), f"/login/?next={url(world)}", fetch_redirect_response=False
    )


def test_an_empty_list_says_so(login, world):
    response = login("admin").get(url(world))
    assertContains(response, "No pay apps you can see on this project yet.")


def test_client_contract_pay_apps_are_not_progress_billings(login, world, two_pay_apps):
    # given an MC/Client payment application
    client_contract = factories.ContractFactory(
        project=world.project, number="CC-001", kind="client"
    )
    client_contract.pay_apps.create(billing_period=world.period, number=1, created_by=world.admin)
    # when
    response = login("admin").get(url(world))
    # then
    assertNotContains(response, "CC-001")


# --------------------------------------------------------------------------------------------
# Filters


def test_the_filter_form_lists_periods_statuses_and_vendors(login, world, two_pay_apps):
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(
        response,
        f"""<select name="period" id="id_period">
        <option value="" selected>All periods</option>
        <option value="{world.period.pk}">Period 1: Nov 1 – Nov 30, 2026</option></select>""",
        html=True,
    )
    assertContains(
        response,
        f"""<select name="vendor" id="id_vendor">
        <option value="" selected>All vendors</option>
        <option value="{world.vendor.pk}">Acme Concrete</option>
        <option value="{world.other_vendor.pk}">Bolt Electric</option></select>""",
        html=True,
    )
    assertContains(response, '<option value="revise_and_resubmit">Revise &amp; Resubmit</option>')
    assertContains(response, '<button type="submit" class="button">Filter</button>', html=True)


def test_a_contact_sees_only_its_own_vendor_in_the_filter(login, world, two_pay_apps):
    response = login("contact").get(url(world))
    assertContains(response, "Acme Concrete")
    assertNotContains(response, "Bolt Electric")


def test_filter_by_status(login, world, two_pay_apps):
    # when
    response = login("admin").get(url(world) + "?status=under_review")
    # then
    assertContains(response, electrical_row(two_pay_apps[1]), html=True)
    assertNotContains(response, f'<a href="/pay-apps/{two_pay_apps[0].pk}/">')
    assertContains(response, f'<a href="{url(world)}">Clear filters</a>', html=True)


def test_filter_by_vendor(login, world, two_pay_apps):
    # when
    response = login("admin").get(url(world) + f"?vendor={world.vendor.pk}")
    # then
    assertContains(response, concrete_row(two_pay_apps[0]), html=True)
    assertNotContains(response, f'<a href="/pay-apps/{two_pay_apps[1].pk}/">')


def test_filter_by_period(login, world, two_pay_apps):
    # given a second period with nothing in it
    world.period.status = BillingPeriod.Status.CLOSED
    world.period.save(update_fields=["status"])
    second = factories.BillingPeriodFactory(
        project=world.project,
        number=2,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )
    client = login("admin")
    # when / then
    assertContains(
        client.get(url(world) + f"?period={world.period.pk}"),
        concrete_row(two_pay_apps[0]),
        html=True,
    )
    assertContains(
        client.get(url(world) + f"?period={second.pk}"),
        "No pay apps match these filters.",
    )


def test_a_bad_filter_value_says_so_and_the_others_still_apply(login, world, two_pay_apps):
    # when
    response = login("admin").get(url(world) + f"?period=999999&vendor={world.vendor.pk}")
    # then
    assertContains(response, "Select a valid choice.")
    assertContains(response, concrete_row(two_pay_apps[0]), html=True)
    assertNotContains(response, f'<a href="/pay-apps/{two_pay_apps[1].pk}/">')


def test_another_projects_vendor_or_period_filters_nothing_in(login, world, two_pay_apps):
    # given
    foreign_period = factories.BillingPeriodFactory()
    # when
    response = login("admin").get(url(world) + f"?period={foreign_period.pk}")
    # then
    assertContains(response, "Select a valid choice.")


# --------------------------------------------------------------------------------------------
# Pages and queries


def test_a_page_holds_100_pay_apps():
    assert pay_app_lists.PER_PAGE == 100


def test_pages_keep_the_filters(login, world, two_pay_apps, monkeypatch):
    # given one row a page and two pay apps
    monkeypatch.setattr(pay_app_lists, "PER_PAGE", 1)
    # when
    first = login("admin").get(url(world) + "?status=&vendor=")
    second = login("admin").get(url(world) + "?status=&vendor=&page=2")
    # then
    assertContains(
        first,
        '<a href="?status=&amp;vendor=&amp;page=2" rel="next">Next</a>',
        html=True,
    )
    assertContains(first, "Page 1 of 2 · 2 pay apps")
    assertContains(second, "Page 2 of 2 · 2 pay apps")
    assertContains(
        second, '<a href="?status=&amp;vendor=&amp;page=1" rel="prev">Previous</a>', html=True
    )


def test_the_list_costs_the_same_queries_for_2_or_12_commitments(
    login, world, two_pay_apps, django_assert_max_num_queries
):
    # given
    client = login("admin")
    with django_assert_max_num_queries(30) as few:
        client.get(url(world))
    for n in range(10):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment)
        factories.SOVLineFactory(contract=commitment)
        commitment.contacts.add(world.contact)
        billed(world, commitment, work="500.00")
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(world))
    assertContains(response, "SC-109")
