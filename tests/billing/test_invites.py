"""Invite to Bill (DOMAIN.md §3): the Subcontractor tab's statuses, Send Invites, answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from sitebill.billing.models import Invite
from sitebill.billing.services.invites import (
    invite_accept,
    invite_board,
    invite_decline,
    invite_from_token,
    invite_link_token,
    invites_send,
)
from sitebill.billing.services.pay_apps import pay_app_create
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories


def commitments(world):
    return [world.commitment, world.other_commitment]


def test_the_board_counts_commitments_per_invite_status(world):
    # given a third commitment with no contacts
    lonely = factories.ContractFactory(project=world.project, number="SC-009")
    # when
    board = invite_board(period=world.period, contracts=[*commitments(world), lonely])
    # then
    assert board.counts == {
        "no_contacts": 1,
        "not_invited": 2,
        "invited": 0,
        "accepted": 0,
        "declined": 0,
    }
    row = next(r for r in board.rows if r.contract == lonely)
    assert row.status_label == "No Payment Application Contacts"
    assert row.blocked_reason == "Add a payment application contact to invite this commitment."


def test_send_invites_emails_every_contact_and_moves_the_counts(
    world, django_capture_on_commit_callbacks
):
    # given a second contact on the first commitment
    second = factories.UserFactory(email="pm@acme.example", company=world.vendor)
    world.commitment.contacts.add(second)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = invites_send(actor=world.admin, period=world.period, contracts=commitments(world))
    # then
    assert result.message == "2 invites sent."
    assert sorted(m.to[0] for m in mail.outbox) == [
        "billing@acme.example",
        "billing@bolt.example",
        "pm@acme.example",
    ]
    subject = mail.outbox[0].subject
    assert subject == f"{world.project.name}: {world.admin.display_name} has invited you to bill."
    body = mail.outbox[0].body
    assert "/invites/accept/" in body and "/invites/decline/" in body
    board = invite_board(period=world.period, contracts=commitments(world))
    assert board.counts["invited"] == 2 and board.counts["not_invited"] == 0
    assert Event.objects.filter(action="invite_sent").count() == 2


def test_a_double_click_on_send_invites_invites_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invites_send(actor=world.admin, period=world.period, contracts=commitments(world))
        again = invites_send(actor=world.admin, period=world.period, contracts=commitments(world))
    assert again.invited == []
    assert set(again.skipped.values()) == {"Already invited."}
    assert Invite.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_only_an_admin_sends_invites(world, role):
    with pytest.raises(PermissionDenied):
        invites_send(actor=world.role(role), period=world.period, contracts=commitments(world))
    assert Invite.objects.count() == 0


def test_no_invites_after_the_due_date(world):
    with pytest.raises(ValidationFailed, match="due date"):
        invites_send(
            actor=world.admin,
            period=world.period,
            contracts=commitments(world),
            today=dt.date(2100, 1, 1),
        )
    assert Invite.objects.count() == 0


def test_a_commitment_of_another_project_cannot_be_invited(world):
    foreign = factories.ContractFactory()
    with pytest.raises(NotFound):
        invites_send(actor=world.admin, period=world.period, contracts=[foreign])


def test_answering_twice_changes_nothing_the_second_time(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get()
    accepted, changed = invite_accept(actor=world.contact, invite=invite)
    assert (accepted.status, changed) == ("accepted", True)
    again, changed = invite_decline(actor=world.contact, invite=invite)
    assert (again.status, changed) == ("accepted", False)


def test_another_vendors_contact_cannot_answer(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get()
    with pytest.raises(NotFound):
        invite_decline(actor=world.other_contact, invite=invite)
    invite.refresh_from_db()
    assert invite.status == "invited"


def test_a_declined_invite_blocks_the_pay_app_and_shows_on_the_board(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite_decline(actor=world.contact, invite=Invite.objects.get())
    board = invite_board(period=world.period, contracts=commitments(world))
    assert board.counts["declined"] == 1


def test_creating_the_pay_app_accepts_the_invite(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    pay_app_create(actor=world.contact, contract=world.commitment, billing_period=world.period)
    assert Invite.objects.get().status == "accepted"


def test_invite_links_are_single_purpose_and_tamper_proof(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get()
    token = invite_link_token(invite, "accept")
    assert invite_from_token(token, "accept") == invite
    with pytest.raises(ValidationFailed, match="not valid"):
        invite_from_token(token, "decline")
    with pytest.raises(ValidationFailed, match="not valid"):
        invite_from_token(token[:-2] + "xx", "accept")


def test_a_reminder_goes_out_once_n_days_before_the_due_date(
    world, django_capture_on_commit_callbacks
):
    # given a 3-day reminder setting and an invite not yet answered
    from sitebill.billing.services.invites import reminders_send

    world.project.reminder_days_before_due = 3
    world.project.save(update_fields=["reminder_days_before_due"])
    world.period.due_date = dt.date(2026, 12, 5)
    world.period.save(update_fields=["due_date"])
    invites_send(
        actor=world.admin,
        period=world.period,
        contracts=[world.commitment],
        today=dt.date(2026, 11, 20),
    )
    # when the scheduler runs too early, then on time, then again
    with django_capture_on_commit_callbacks(execute=True):
        early = reminders_send(today=dt.date(2026, 11, 30))
        on_time = reminders_send(today=dt.date(2026, 12, 2))
        again = reminders_send(today=dt.date(2026, 12, 3))
    # then
    assert (len(early), len(on_time), len(again)) == (0, 1, 0)
    reminder = [m for m in mail.outbox if "is due" in m.subject]
    assert [m.to for m in reminder] == [["billing@acme.example"]]
    assert (
        reminder[0].subject == f"{world.project.name}: your pay app for SC-001 is due Dec 05, 2026"
    )


def test_an_invite_cannot_be_accepted_after_the_due_date(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get()
    with pytest.raises(ValidationFailed, match="due date"):
        invite_accept(actor=world.contact, invite=invite, today=dt.date(2100, 1, 1))
    invite.refresh_from_db()
    assert invite.status == "invited"


def test_a_closed_period_row_says_the_period_is_closed(world):
    world.period.status = "closed"
    world.period.save(update_fields=["status"])
    row = invite_board(period=world.period, contracts=[world.commitment]).rows[0]
    assert row.blocked_reason == "This billing period is Closed."
