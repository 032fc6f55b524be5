"""Stored pay app summaries: what a list shows without loading lines is what the lines give."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.billing.models import PayApp
from sitebill.billing.selectors import figures_for_lines, pay_app_list_rows
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
    pay_app_update_details,
)
from sitebill.billing.summaries import stored_summary, summaries, summary_from_figures


def _bill(world, amount: str = "1000.00") -> PayApp:
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = pay_app.lines.order_by("position").first()
    pay_app_lines_update(
        actor=world.contact,
        pay_app=pay_app,
        version=None,
        changes=[LineChange(line_id=line.pk, work_completed_this_period=Decimal(amount))],
    )
    return PayApp.objects.select_related("contract__project").get(pk=pay_app.pk)


def _computed(pay_app: PayApp):
    return summary_from_figures(
        figures_for_lines(pay_app, list(pay_app.lines.order_by("position", "id")))
    )


def test_a_line_edit_stores_the_summary_of_the_new_figures(world):
    # when
    pay_app = _bill(world, "1000.00")
    # then
    stored = stored_summary(pay_app)
    assert stored is not None
    assert stored.work_completed_this_period == Decimal("1000.00")
    assert stored == _computed(pay_app)


def test_a_summary_survives_changes_that_touch_no_figure(world):
    # given
    pay_app = _bill(world)
    # when the invoice number changes and the pay app is submitted and approved
    pay_app_update_details(
        actor=world.contact, pay_app=pay_app, version=None, invoice_number="INV-7"
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app_review(actor=world.admin, pay_app=pay_app, version=None, status="approved")
    # then
    pay_app = PayApp.objects.select_related("contract__project").get(pk=pay_app.pk)
    assert stored_summary(pay_app) == _computed(pay_app)


@pytest.mark.parametrize(
    "change",
    ["rounding", "retainage_rules", "previous_certificates", "lines_behind_the_services_back"],
)
def test_a_summary_whose_inputs_changed_is_not_shown(world, change):
    # given a stored summary
    pay_app = _bill(world, "1234.55")
    assert stored_summary(pay_app) is not None
    # when an input of the figures changes outside the pay app's own writes
    project, contract = pay_app.contract.project, pay_app.contract
    if change == "rounding":
        project.rounding = "half_even"
        project.save(update_fields=["rounding"])
    elif change == "retainage_rules":
        contract.retainage_rules = [{"rate": "10.00", "until": "percent_complete", "limit": "50"}]
        contract.save(update_fields=["retainage_rules"])
    elif change == "previous_certificates":
        PayApp.objects.filter(pk=pay_app.pk).update(less_previous_certificates=Decimal("5.00"))
    else:  # a write that skipped the services also skipped the version: stale but detected?
        pay_app.lines.update(work_completed_this_period=Decimal("1.00"))
        PayApp.objects.filter(pk=pay_app.pk).update(version=pay_app.version + 1)
    pay_app = PayApp.objects.select_related("contract__project").get(pk=pay_app.pk)
    # then the stored summary is refused and the list computes the figures from the lines
    assert stored_summary(pay_app) is None
    assert summaries([pay_app])[pay_app.pk] == _computed(pay_app)


def test_the_list_shows_stored_and_computed_summaries_in_constant_queries(
    world, django_assert_max_num_queries
):
    # given one pay app with a stored summary and one whose summary is stale
    fresh = _bill(world, "500.00")
    stale = pay_app_create(
        actor=world.admin, contract=world.other_commitment, billing_period=world.period
    )
    assert stored_summary(stale) is not None  # a new pay app gets its summary at creation
    PayApp.objects.filter(pk=stale.pk).update(summary=None)  # as after a restore from backup
    shown = list(
        PayApp.objects.select_related("contract__project").filter(pk__in=[fresh.pk, stale.pk])
    )
    # when
    with django_assert_max_num_queries(1):
        rows = pay_app_list_rows(shown)
    # then
    for row in rows:
        expected = _computed(row.pay_app)
        assert row.current_payment_due == expected.current_payment_due
        assert row.work_this_period == expected.work_completed_this_period
