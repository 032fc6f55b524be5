"""The dashboard's figures: exact values on a scene built through the services, who sees which
rows, the chart's periods, and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.billing.selectors import pay_app_figures
from sitebill.billing.services.payments import payment_record
from sitebill.core.exceptions import NotFound
from sitebill.reports.selectors import Totals, access_dashboard, project_dashboard
from tests import factories
from tests.erp.builders import approved_pay_app, next_period
from tests.reports.scene import build

D = Decimal


def figures(row) -> dict[str, object]:
    return {
        "contract": row.contract.number,
        "contract_value": row.contract_value,
        "billed_to_date": row.billed_to_date,
        "latest_pay_app": (row.latest_pay_app.number, row.latest_pay_app.status)
        if row.latest_pay_app
        else None,
        "approved_to_date": row.approved_to_date,
        "retainage_held": row.retainage_held,
        "paid": row.paid,
        "balance_to_finish": row.balance_to_finish,
    }


def test_each_contract_shows_value_billed_approved_retainage_paid_and_balance(world):
    # given
    build(world)
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    assert [figures(row) for row in dashboard.commitments] == [
        {
            "contract": "SC-001",
            "contract_value": D("105000.00"),  # 100,000.00 + the approved change order
            "billed_to_date": D("27000.00"),
            "latest_pay_app": (2, "approved"),
            "approved_to_date": D("27000.00"),
            "retainage_held": D("2700.00"),
            "paid": D("10000.00"),
            "balance_to_finish": D("78000.00"),
        },
        {
            "contract": "SC-002",
            "contract_value": D("40000.00"),
            "billed_to_date": D("5000.00"),  # the Draft #2 counts as billed...
            "latest_pay_app": (2, "draft"),
            "approved_to_date": D("4000.00"),  # ...but not as approved
            "retainage_held": D("400.00"),
            "paid": D("0.00"),
            "balance_to_finish": D("35000.00"),
        },
    ]
    assert dashboard.commitments_total == Totals(
        contract_value=D("145000.00"),
        billed_to_date=D("32000.00"),
        approved_to_date=D("31000.00"),
        retainage_held=D("3100.00"),
        paid=D("10000.00"),
        balance_to_finish=D("113000.00"),
    )
    assert [figures(row) for row in dashboard.client_contracts] == [
        {
            "contract": "PC-001",
            "contract_value": D("100000.00"),
            "billed_to_date": D("20000.00"),
            "latest_pay_app": (1, "approved"),
            "approved_to_date": D("20000.00"),
            "retainage_held": D("2000.00"),
            "paid": D("18000.00"),
            "balance_to_finish": D("80000.00"),
        }
    ]
    assert dashboard.client_total.paid == D("18000.00")


def test_billed_to_date_by_period_sums_approved_pay_apps_and_carries_skipped_periods(world):
    # given
    build(world)
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then: period 2 counts SC-002's approved #1 (its #2 is a Draft) and PC-001's #1
    assert [(p.period.number, p.commitments, p.client) for p in dashboard.periods] == [
        (1, D("19000.00"), D("20000.00")),  # 15,000 + 4,000; 20,000
        (2, D("31000.00"), D("20000.00")),  # 27,000 + 4,000; 20,000 carried
    ]


def test_the_chart_takes_g_as_the_pay_app_figures_compute_it_stored_materials_included(world):
    # given: G = D + E + F with materials stored on line 3
    pay_app = approved_pay_app(world, stored=("0.00", "0.00", "2000.00"))
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    g = pay_app_figures(pay_app).g702.total_completed_and_stored_to_date
    assert g == D("17000.00")
    assert [p.commitments for p in dashboard.periods] == [g]
    assert dashboard.commitments[0].billed_to_date == g


def test_a_pay_app_pending_owner_approval_is_billed_but_not_approved(world):
    # given
    approved_pay_app(world, status="pending_owner_approval")
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    concrete = dashboard.commitments[0]
    assert (concrete.billed_to_date, concrete.approved_to_date, concrete.retainage_held) == (
        D("15000.00"),
        D("0.00"),
        D("0.00"),
    )
    assert concrete.latest_approved_pay_app is None
    assert dashboard.periods == []  # nothing approved: no chart


def test_without_pay_apps_every_figure_is_zero_but_the_contract_value(world):
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    assert [figures(row) for row in dashboard.commitments] == [
        {
            "contract": number,
            "contract_value": value,
            "billed_to_date": D("0.00"),
            "latest_pay_app": None,
            "approved_to_date": D("0.00"),
            "retainage_held": D("0.00"),
            "paid": D("0.00"),
            "balance_to_finish": value,
        }
        for number, value in [("SC-001", D("100000.00")), ("SC-002", D("40000.00"))]
    ]
    assert dashboard.client_contracts == []
    assert dashboard.periods == []


def test_periods_before_the_first_approval_show_nothing_billed(world):
    # given: nothing approved in period 1, SC-001 approved in period 2
    period_2 = next_period(world)
    approved_pay_app(world, period=period_2)
    # when
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    assert [(p.period.number, p.commitments) for p in dashboard.periods] == [
        (1, D("0.00")),
        (2, D("15000.00")),
    ]


@pytest.mark.parametrize(
    ("role", "sees_private"), [("admin", True), ("standard", False), ("read_only", False)]
)
def test_a_private_commitment_is_left_out_for_who_may_not_see_it(world, role, sees_private):
    # given
    build(world)
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    # when
    dashboard = project_dashboard(user=world.role(role), project=world.project)
    # then
    numbers = [row.contract.number for row in dashboard.commitments]
    assert numbers == (["SC-001", "SC-002"] if sees_private else ["SC-001"])
    expected = D("145000.00") if sees_private else D("105000.00")
    assert dashboard.commitments_total.contract_value == expected
    expected_p2 = D("31000.00") if sees_private else D("27000.00")
    assert dashboard.periods[1].commitments == expected_p2


def test_a_standard_user_on_the_private_list_sees_the_private_commitment(world):
    # given
    build(world)
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    world.other_commitment.private_viewers.add(world.standard)
    # when
    dashboard = project_dashboard(user=world.standard, project=world.project)
    # then
    assert [row.contract.number for row in dashboard.commitments] == ["SC-001", "SC-002"]


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
def test_members_may_open_the_dashboard(world, role):
    assert access_dashboard(world.role(role), world.project.pk) == world.project


@pytest.mark.parametrize("role", ["contact", "other_contact", "stranger", "anonymous"])
def test_anyone_else_is_told_not_found(world, role):
    with pytest.raises(NotFound) as refused:
        access_dashboard(world.role(role), world.project.pk)
    assert refused.value.message == "Project not found."


def add_billed_commitments(world, count: int, *, period=None) -> None:
    """`count` more commitments, each with an approved pay app and a payment."""
    for n in range(count):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment, scheduled_value=D("1000.00"))
        pay_app = approved_pay_app(world, ("100.00",), contract=commitment, period=period)
        payment_record(
            actor=world.admin,
            pay_app=pay_app,
            date=pay_app.billing_date,
            amount="90.00",
            method="ach",
        )


def test_the_figures_cost_the_same_queries_for_2_or_12_commitments(
    world, django_assert_max_num_queries
):
    # given: 2 commitments with two periods of pay apps, a client contract, payments
    scene = build(world)
    with django_assert_max_num_queries(10) as few:
        project_dashboard(user=world.read_only, project=world.project)
    add_billed_commitments(world, 10, period=scene.period_2)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        dashboard = project_dashboard(user=world.read_only, project=world.project)
    assert len(dashboard.commitments) == 12
    assert dashboard.commitments_total.paid == D("10900.00")  # 10,000 + 10 × 90
