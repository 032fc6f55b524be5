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


def _edit(world, pay_app: PayApp, line, amount: str, *, all_rows: bool = False):
    return pay_app_lines_update(
        actor=world.admin,
        pay_app=PayApp.objects.get(pk=pay_app.pk),
        version=None,
        changes=[LineChange(line_id=line.pk, work_completed_this_period=Decimal(amount))],
        all_rows=all_rows,
    )


def test_a_one_line_edit_revises_the_stored_g702_instead_of_reading_every_line(world):
    # given a pay app with its summary stored
    pay_app = _bill(world, "1000.00")
    lines = list(pay_app.lines.order_by("position", "id"))
    # when one line is edited with an answer of the edited row only
    result = _edit(world, pay_app, lines[1], "2500.00")
    # then the figures carry that row and the G702 of the whole pay app
    assert [row.line.pk for row in result.figures.rows] == [lines[1].pk]
    pay_app = PayApp.objects.select_related("contract__project").get(pk=pay_app.pk)
    full = figures_for_lines(pay_app, list(pay_app.lines.order_by("position", "id")))
    assert result.figures.g702 == full.g702
    assert result.figures.totals == full.totals


def test_a_one_line_edit_names_every_overbilled_line_when_the_project_warns(world):
    # given a project that warns, and a pay app whose first line is overbilled
    project = world.project
    project.overbilling = "warn"
    project.save(update_fields=["overbilling"])
    pay_app = _bill(world, "1000.00")
    lines = list(pay_app.lines.order_by("position", "id"))
    _edit(world, pay_app, lines[0], str(lines[0].scheduled_value + 1), all_rows=True)
    # when another line is overbilled by a one-line edit
    result = _edit(world, pay_app, lines[2], str(lines[2].scheduled_value + 5))
    # then the warning names both, in G703 order, as computing every line would
    pay_app = PayApp.objects.select_related("contract__project").get(pk=pay_app.pk)
    full = figures_for_lines(pay_app, list(pay_app.lines.order_by("position", "id")))
    assert result.warnings == full.warnings
    assert lines[0].description in result.warnings[0] and lines[2].description in result.warnings[0]


def test_a_one_line_edit_on_a_sliding_scale_computes_every_line(world):
    # given a commitment that holds retainage by a sliding scale
    pay_app = _bill(world, "1000.00")
    contract = pay_app.contract
    contract.retainage_rules = [{"rate": "10.00", "until": "percent_complete", "limit": "50.00"}]
    contract.save(update_fields=["retainage_rules"])
    lines = list(pay_app.lines.order_by("position", "id"))
    # when
    result = _edit(world, pay_app, lines[1], "700.00")
    # then every row is in the figures (one line's work moves the others' holdings)
    assert len(result.figures.rows) == len(lines)
