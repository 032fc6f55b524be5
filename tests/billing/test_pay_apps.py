"""The pay app workflow of DOMAIN.md §4, through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail

from sitebill.billing.models import Invite, PayApp, PayAppLine
from sitebill.billing.selectors import pay_app_figures, pay_app_with_lines
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_delete,
    pay_app_lines_update,
    pay_app_release_retainage,
    pay_app_review,
    pay_app_set_status,
    pay_app_submit,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories

D = Decimal


def lines_of(pay_app):
    return list(pay_app.lines.order_by("position"))


def bill(world, pay_app, actor, amounts, stored=None):
    pay_app.refresh_from_db()
    changes = [
        LineChange(
            line_id=line.pk,
            work_completed_this_period=D(amount),
            materials_presently_stored=D(stored[i]) if stored else None,
        )
        for i, (line, amount) in enumerate(zip(lines_of(pay_app), amounts, strict=False))
    ]
    return pay_app_lines_update(
        actor=actor, pay_app=pay_app, version=pay_app.version, changes=changes
    )


def next_period(world):
    """Close period 1 and open period 2 (what billing_period_create does, set up directly)."""
    world.period.status = "closed"
    world.period.save(update_fields=["status"])
    return factories.BillingPeriodFactory(
        project=world.project,
        number=2,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )


def approve(world, pay_app):
    pay_app.refresh_from_db()
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    pay_app.refresh_from_db()
    return pay_app


def test_a_contact_creates_a_draft_with_one_line_per_sov_line(world):
    # when
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    # then
    assert pay_app.status == PayApp.Status.DRAFT
    assert pay_app.number == 1
    assert pay_app.on_behalf_of == world.contact
    assert [(line.item_number, line.scheduled_value) for line in lines_of(pay_app)] == [
        ("1", D("50000.00")),
        ("2", D("30000.00")),
        ("3", D("20000.00")),
    ]
    assert all(line.retainage_work_percent == D("10") for line in lines_of(pay_app))
    assert Event.objects.filter(action="pay_app_created", target_id=pay_app.pk).count() == 1


def test_the_whole_review_loop_keeps_every_step_in_history(
    world, django_capture_on_commit_callbacks
):
    # given a submitted pay app
    world.commitment.distribution.add(world.admin)
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    bill(world, pay_app, world.contact, ["10000.00", "3000.00", "0.00"])
    pay_app.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version)
    assert [m.to for m in mail.outbox] == [["admin@summit.example"]]
    pay_app.refresh_from_db()
    first, second, _third = lines_of(pay_app)
    # when the admin rejects line 2 and asks for a revision
    with django_capture_on_commit_callbacks(execute=True):
        pay_app_review(
            actor=world.admin,
            pay_app=pay_app,
            version=pay_app.version,
            status="revise_and_resubmit",
            comment="Line 2 is ahead of the schedule.",
            lines=[
                LineReview(line_id=first.pk, status="approved"),
                LineReview(line_id=second.pk, status="rejected", reason="Only 2,000.00 in place."),
            ],
        )
    # then the contact is emailed with the reason, and the amounts are untouched
    assert mail.outbox[-1].to == ["billing@acme.example"]
    assert "Only 2,000.00 in place." in mail.outbox[-1].body
    second.refresh_from_db()
    assert second.work_completed_this_period == D("3000.00")
    assert second.review_status == PayAppLine.ReviewStatus.REJECTED
    # when the contact revises and resubmits
    pay_app.refresh_from_db()
    pay_app_lines_update(
        actor=world.contact,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[LineChange(line_id=second.pk, work_completed_this_period=D("2000.00"))],
    )
    pay_app.refresh_from_db()
    pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version)
    pay_app = approve(world, pay_app)
    # then
    figures = pay_app_figures(pay_app)
    assert pay_app.status == PayApp.Status.APPROVED
    assert figures.g702.total_completed_and_stored_to_date == D("12000.00")
    assert figures.g702.total_retainage == D("1200.00")
    assert figures.g702.current_payment_due == D("10800.00")
    assert pay_app.certified_earned_less_retainage == D("10800.00")
    actions = list(
        Event.objects.filter(target_type="payapp", target_id=pay_app.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "pay_app_created",
        "lines_updated",
        "submitted",
        "reviewed",
        "lines_updated",
        "resubmitted",
        "reviewed",
    ]


def test_the_next_pay_app_carries_d_plus_e_and_stored_materials_forward(world):
    # given an approved first pay app with stored materials
    first = pay_app_create(
        actor=world.admin,
        contract=world.commitment,
        billing_period=world.period,
        on_behalf_of=world.contact,
    )
    bill(
        world, first, world.admin, ["10000.00", "0.00", "0.00"], stored=["0.00", "5000.00", "0.00"]
    )
    first.refresh_from_db()
    pay_app_submit(actor=world.admin, pay_app=first, version=first.version)
    first = approve(world, first)
    second_period = next_period(world)
    # when
    second = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=second_period
    )
    # then
    line1, line2, _ = lines_of(second)
    assert (line1.work_completed_previous, line1.materials_presently_stored) == (
        D("10000.00"),
        D("0.00"),
    )
    assert (line2.work_completed_previous, line2.materials_presently_stored) == (
        D("0.00"),
        D("5000.00"),
    )
    assert line1.previous_retainage_held == D("1000.00")
    assert second.less_previous_certificates == D("13500.00")
    assert pay_app_figures(second).g702.current_payment_due == D("0.00")


def test_a_second_pay_app_waits_until_the_latest_is_approved(world):
    pay_app_create(actor=world.contact, contract=world.commitment, billing_period=world.period)
    period2 = next_period(world)
    with pytest.raises(Conflict, match="must be approved before the next one"):
        pay_app_create(actor=world.admin, contract=world.commitment, billing_period=period2)


def test_a_contact_who_declined_cannot_create_the_pay_app(world):
    # given
    Invite.objects.create(
        contract=world.commitment,
        billing_period=world.period,
        status="declined",
        sent_at=world.period.created_at,
        sent_by=world.admin,
    )
    # when / then
    with pytest.raises(Conflict, match="declined"):
        pay_app_create(actor=world.contact, contract=world.commitment, billing_period=world.period)
    assert PayApp.objects.count() == 0


def test_a_contact_cannot_create_after_the_due_date(world):
    with pytest.raises(ValidationFailed, match="due date"):
        pay_app_create(
            actor=world.contact,
            contract=world.commitment,
            billing_period=world.period,
            today=dt.date(2100, 1, 1),
        )
    assert PayApp.objects.count() == 0


def test_a_contact_cannot_submit_a_draft_after_the_due_date_but_may_resubmit(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    late = dt.date(2100, 1, 1)
    with pytest.raises(ValidationFailed, match="due date"):
        pay_app_submit(actor=world.contact, pay_app=pay_app, today=late)
    pay_app.refresh_from_db()
    assert pay_app.status == PayApp.Status.DRAFT
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status="revise_and_resubmit",
        comment="Attach the lien waiver.",
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app, today=late)
    pay_app.refresh_from_db()
    assert pay_app.status == PayApp.Status.UNDER_REVIEW


def test_nobody_edits_an_approved_pay_app(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app = approve(world, pay_app)
    line = lines_of(pay_app)[0]
    for actor in (world.contact, world.standard, world.admin):
        with pytest.raises(Conflict, match="can no longer be edited"):
            pay_app_lines_update(
                actor=actor,
                pay_app=pay_app,
                version=pay_app.version,
                changes=[LineChange(line_id=line.pk, work_completed_this_period=D("1.00"))],
            )
    line.refresh_from_db()
    assert line.work_completed_this_period == D("0.00")


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_only_an_admin_reviews(world, role):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    with pytest.raises(PermissionDenied, match="Only an Admin"):
        pay_app_review(
            actor=world.role(role), pay_app=pay_app, version=pay_app.version, status="approved"
        )
    pay_app.refresh_from_db()
    assert pay_app.status == PayApp.Status.UNDER_REVIEW


@pytest.mark.parametrize("role", ["other_contact", "stranger"])
def test_someone_elses_pay_app_is_not_found(world, role):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = lines_of(pay_app)[0]
    with pytest.raises(NotFound):
        pay_app_lines_update(
            actor=world.role(role),
            pay_app=pay_app,
            version=pay_app.version,
            changes=[LineChange(line_id=line.pk, work_completed_this_period=D("5.00"))],
        )
    with pytest.raises(NotFound):
        pay_app_submit(actor=world.role(role), pay_app=pay_app)
    line.refresh_from_db()
    assert line.work_completed_this_period == D("0.00")


def test_a_second_admin_reviewing_a_stale_version_gets_a_conflict(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    seen = pay_app.version
    pay_app_review(actor=world.admin, pay_app=pay_app, version=seen, status="approved")
    with pytest.raises(Conflict):
        pay_app_review(
            actor=world.admin,
            pay_app=pay_app,
            version=seen,
            status="revise_and_resubmit",
            comment="Too late",
        )
    pay_app.refresh_from_db()
    assert pay_app.status == PayApp.Status.APPROVED


def test_revise_and_resubmit_needs_a_rejected_line_or_a_comment(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    with pytest.raises(ValidationFailed, match="at least one rejected line or a comment"):
        pay_app_review(
            actor=world.admin,
            pay_app=pay_app,
            version=pay_app.version,
            status="revise_and_resubmit",
        )
    line = lines_of(pay_app)[0]
    with pytest.raises(ValidationFailed, match="give a reason"):
        pay_app_review(
            actor=world.admin,
            pay_app=pay_app,
            version=pay_app.version,
            status="revise_and_resubmit",
            lines=[LineReview(line_id=line.pk, status="rejected")],
        )
    pay_app.refresh_from_db()
    assert pay_app.status == PayApp.Status.UNDER_REVIEW


def test_overbilling_is_blocked_when_the_project_says_so_and_nothing_is_saved(world):
    world.project.overbilling = "block"
    world.project.save(update_fields=["overbilling"])
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = lines_of(pay_app)[0]
    with pytest.raises(ValidationFailed, match="does not allow overbilling"):
        bill(world, pay_app, world.contact, ["50000.01"])
    line.refresh_from_db()
    assert line.work_completed_this_period == D("0.00")


def test_overbilling_warns_when_the_project_says_warn(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    result = bill(world, pay_app, world.contact, ["60000.00"])
    line = lines_of(pay_app)[0]
    assert result.warnings == [f"Billed above the scheduled value on: 1 {line.description}."]
    line.refresh_from_db()
    assert line.work_completed_this_period == D("60000.00")


def test_a_contact_cannot_change_retainage_rates(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = lines_of(pay_app)[0]
    with pytest.raises(ValidationFailed, match="set by the contractor"):
        pay_app_lines_update(
            actor=world.contact,
            pay_app=pay_app,
            version=pay_app.version,
            changes=[LineChange(line_id=line.pk, retainage_work_percent=D("0"))],
        )
    line.refresh_from_db()
    assert line.retainage_work_percent == D("10")


def after_an_approved_pay_app(world, amounts):
    """Pay app #2 (a Draft in period 2) after pay app #1 billed `amounts` and was approved."""
    first = pay_app_create(
        actor=world.admin, contract=world.commitment, billing_period=world.period
    )
    bill(world, first, world.admin, amounts)
    first.refresh_from_db()
    pay_app_submit(actor=world.admin, pay_app=first)
    approve(world, first)
    period2 = next_period(world)
    return pay_app_create(actor=world.admin, contract=world.commitment, billing_period=period2)


def release(world, pay_app, **how):
    """The Admin releases retainage (`percent=` or `amount=`); the pay app's figures after it."""
    pay_app.refresh_from_db()
    pay_app_release_retainage(actor=world.admin, pay_app=pay_app, version=pay_app.version, **how)
    return pay_app_figures(pay_app_with_lines(pay_app.pk))


def test_an_admin_releases_retainage_spread_over_the_lines(world):
    # given an approved pay app holding 1,000.00 + 500.00
    second = after_an_approved_pay_app(world, ["10000.00", "5000.00", "0.00"])
    # when half is released
    figures = release(world, second, percent=D("50"))
    # then
    assert [row.line.retainage_released_this_period for row in figures.rows] == [
        D("500.00"),
        D("250.00"),
        D("0.00"),
    ]
    assert figures.g702.total_retainage == D("750.00")
    assert figures.g702.current_payment_due == D("750.00")


def test_a_release_over_a_deductive_change_order_takes_its_share_of_the_credit(world):
    # given an approved pay app holding 1,000.00 + 500.00 on work and -50.00 on a deductive
    # change order line (a credit of 500.00 billed in full)
    deductive = factories.ChangeOrderLineFactory(
        change_order=factories.ChangeOrderFactory(contract=world.commitment),
        item_number="CO1-2",
        amount=D("-500.00"),
    )
    second = after_an_approved_pay_app(world, ["10000.00", "5000.00", "0.00", "-500.00"])
    assert lines_of(second)[3].change_order_line_id == deductive.pk

    # when half of the 1,450.00 held is released
    figures = release(world, second, percent=D("50"))

    # then each line gives up half its holding, the credit too, and the release ties out
    assert [row.line.retainage_released_this_period for row in figures.rows] == [
        D("500.00"),
        D("250.00"),
        D("0.00"),
        D("-25.00"),
    ]
    assert figures.g702.total_retainage == D("725.00")

    # and the final release leaves nothing held on any line
    figures = release(world, second, amount=D("1450.00"))
    assert [row.result.retainage_held for row in figures.rows] == [D("0.00")] * 4
    assert figures.g702.total_retainage == D("0.00")


def admins_edit_refused(world, pay_app, change):
    """The per-field messages of the refusal of an Admin's one-line edit (it must be refused)."""
    with pytest.raises(ValidationFailed) as refused:
        pay_app_lines_update(
            actor=world.admin, pay_app=pay_app, version=pay_app.version, changes=[change]
        )
    return refused.value.fields


def test_a_negative_release_on_a_line_holding_retainage_is_refused_by_name(world):
    # given a Draft with 1,000.00 held on line 1
    pay_app = pay_app_create(
        actor=world.admin, contract=world.commitment, billing_period=world.period
    )
    bill(world, pay_app, world.admin, ["10000.00"])
    pay_app.refresh_from_db()
    line = lines_of(pay_app)[0]

    # when an Admin types a negative release there, then
    change = LineChange(line_id=line.pk, retainage_released_this_period=D("-1.00"))
    assert admins_edit_refused(world, pay_app, change) == {
        f"lines.{line.pk}.retainage_released_this_period": [
            "Line 1: cannot release -1.00 of retainage this period: the line holds 1000.00."
        ]
    }
    line.refresh_from_db()
    assert line.retainage_released_this_period == D("0.00")


def test_a_percent_complete_worth_more_than_a_line_can_hold_is_refused_by_name(world):
    # given a line of 500,000,000,000.00 (a MoneyField holds up to 999,999,999,999.99)
    contract = factories.ContractFactory(project=world.project, counterparty=world.vendor)
    factories.SOVLineFactory(
        contract=contract, item_number="1", scheduled_value=D("500000000000.00")
    )
    pay_app = pay_app_create(actor=world.admin, contract=contract, billing_period=world.period)
    line = lines_of(pay_app)[0]

    # when 1000% complete is typed (E = 5,000,000,000,000.00: PostgreSQL would refuse the
    # write with a numeric overflow, SQLite would keep a figure no page can read back)
    change = LineChange(line_id=line.pk, percent_complete=D("1000"))

    # then it is refused naming the line and the field, and nothing is saved
    assert admins_edit_refused(world, pay_app, change) == {
        f"lines.{line.pk}.work_completed_this_period": [
            "Line 1: 5,000,000,000,000.00 is more than a line can hold "
            "(at most 999,999,999,999.99)."
        ]
    }
    line.refresh_from_db()
    assert line.work_completed_this_period == D("0.00")


def test_a_correction_needs_a_reason_and_is_recorded(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    with pytest.raises(ValidationFailed, match="reason"):
        pay_app_set_status(
            actor=world.admin,
            pay_app=pay_app,
            version=pay_app.version,
            status="under_review",
            reason=" ",
        )
    pay_app_set_status(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status="under_review",
        reason="Received on paper",
    )
    event = Event.objects.get(action="status_corrected")
    assert event.changes == {"status": ["draft", "under_review"]}
    assert event.reason == "Received on paper"


def test_only_the_latest_draft_can_be_deleted(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_delete(actor=world.contact, pay_app=pay_app, version=pay_app.version)
    assert PayApp.objects.count() == 0
    assert Event.objects.filter(action="pay_app_deleted").count() == 1


def test_a_new_review_round_clears_the_previous_rounds_line_verdicts(world):
    # given line 2 was rejected, then the vendor revised and resubmitted
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    second = lines_of(pay_app)[1]
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status="revise_and_resubmit",
        lines=[LineReview(line_id=second.pk, status="rejected", reason="Too early.")],
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    # when the admin approves without judging line 2 again
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    # then the approved pay app carries no stale rejection, and the history keeps it
    second.refresh_from_db()
    assert (second.review_status, second.review_reason) == ("no_action", "")
    last = Event.objects.filter(target_id=pay_app.pk, action="reviewed").last()
    assert last.changes["line 2 review"] == ["rejected: Too early.", "no_action"]


def test_a_resubmission_records_the_amount_due_before_and_after(world):
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    bill(world, pay_app, world.contact, ["1000.00"])
    pay_app.refresh_from_db()
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app.refresh_from_db()
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status="revise_and_resubmit",
        comment="Less, please.",
    )
    bill(world, pay_app, world.contact, ["500.00"])
    pay_app.refresh_from_db()
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    event = Event.objects.get(target_id=pay_app.pk, action="resubmitted")
    assert event.changes["current_payment_due"] == ["900.00", "450.00"]
