"""Invite to Bill over the REST API (DOMAIN.md §3): the Subcontractor tab's rows and counts,
Send Invites, and the contact's Accept or Decline.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from sitebill.billing.models import Invite
from sitebill.billing.services.invites import invites_send
from sitebill.core.models import Event
from sitebill.notifications.models import OutboxEmail
from tests import factories


def _snapshot():
    return {
        "invites": sorted(Invite.objects.values_list("pk", "contract_id", "status")),
        "events": Event.objects.count(),
        "emails": OutboxEmail.objects.count(),
    }


def _send(api, world, *commitments, invoice_type="work_and_materials"):
    return api(world.admin).post(
        f"/api/v1/billing-periods/{world.period.pk}/send-invites/",
        {"commitments": [c.pk for c in commitments], "invoice_type": invoice_type},
        format="json",
    )


def _row(contract, *, status, value, invite=None, blocked_reason=""):
    return {
        "id": invite.pk if invite else None,
        "commitment": contract.pk,
        "commitment_number": contract.number,
        "vendor": contract.counterparty_id,
        "status": status,
        "invoice_type": invite.invoice_type if invite else None,
        "sent_at": invite.sent_at.isoformat().replace("+00:00", "Z") if invite else None,
        "responded_at": (
            invite.responded_at.isoformat().replace("+00:00", "Z")
            if invite and invite.responded_at
            else None
        ),
        "blocked_reason": blocked_reason,
        "contract_value": value,
        "billed_to_date": "0.00",
        "pay_app": None,
    }


def _refusal(code, message, fields=None):
    return {"message": message, "code": code, "fields": fields or {}}


# --- The Subcontractor tab -----------------------------------------------------------------------


def test_an_admin_sees_every_commitment_of_the_period_with_the_counts(world, api):
    # given a third commitment with no payment application contact
    lonely = factories.ContractFactory(project=world.project, number="SC-009")
    # when
    response = api(world.admin).get(f"/api/v1/billing-periods/{world.period.pk}/invites/")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "period": {
            "id": world.period.pk,
            "number": 1,
            "start_date": "2026-11-01",
            "end_date": "2026-11-30",
            "due_date": "2099-12-31",
            "status": "open",
        },
        "counts": {
            "no_contacts": 1,
            "not_invited": 2,
            "invited": 0,
            "accepted": 0,
            "declined": 0,
        },
        "results": [
            _row(world.commitment, status="not_invited", value="100000.00"),
            _row(world.other_commitment, status="not_invited", value="40000.00"),
            _row(
                lonely,
                status="no_contacts",
                value="0.00",
                blocked_reason="Add a payment application contact to invite this commitment.",
            ),
        ],
    }


def test_a_contact_sees_only_its_own_commitment(world, api):
    # when
    response = api(world.contact).get(f"/api/v1/billing-periods/{world.period.pk}/invites/")
    # then
    assert response.status_code == 200
    assert response.json()["counts"] == {
        "no_contacts": 0,
        "not_invited": 1,
        "invited": 0,
        "accepted": 0,
        "declined": 0,
    }
    assert [row["commitment"] for row in response.json()["results"]] == [world.commitment.pk]


def test_a_period_of_another_project_is_not_found(world, api):
    # given
    elsewhere = factories.BillingPeriodFactory()
    # when
    response = api(world.admin).get(f"/api/v1/billing-periods/{elsewhere.pk}/invites/")
    # then
    assert response.status_code == 404
    assert response.json() == _refusal("not_found", "Billing period not found.")


# --- Send Invites --------------------------------------------------------------------------------


def test_send_invites_moves_the_rows_to_invited_and_emails_each_contact(
    world, api, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = _send(
            api, world, world.commitment, world.other_commitment, invoice_type="retainage_release"
        )
    # then
    assert response.status_code == 200
    invites = {invite.contract_id: invite for invite in Invite.objects.all()}
    assert response.json() == {
        "message": "2 invites sent.",
        "invited": [
            _row(
                world.commitment,
                status="invited",
                value="100000.00",
                invite=invites[world.commitment.pk],
            ),
            _row(
                world.other_commitment,
                status="invited",
                value="40000.00",
                invite=invites[world.other_commitment.pk],
            ),
        ],
        "skipped": [],
    }
    assert {invite.invoice_type for invite in invites.values()} == {"retainage_release"}
    assert sorted(message.to[0] for message in mail.outbox) == [
        "billing@acme.example",
        "billing@bolt.example",
    ]
    assert {message.subject for message in mail.outbox} == {
        f"Riverside Clinic: {world.admin.display_name} has invited you to bill."
    }
    counts = api(world.admin).get(f"/api/v1/billing-periods/{world.period.pk}/invites/")
    assert counts.json()["counts"] == {
        "no_contacts": 0,
        "not_invited": 0,
        "invited": 2,
        "accepted": 0,
        "declined": 0,
    }


def test_sending_twice_invites_once_and_says_why_the_rest_were_skipped(world, api):
    # given
    assert _send(api, world, world.commitment).status_code == 200
    before = _snapshot()
    # when
    response = _send(api, world, world.commitment, world.other_commitment)
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "1 invite sent. 1 skipped."
    assert [row["commitment"] for row in body["invited"]] == [world.other_commitment.pk]
    assert body["skipped"] == [{"commitment": world.commitment.pk, "reason": "Already invited."}]
    assert Invite.objects.count() == len(before["invites"]) + 1


def test_no_invites_once_the_due_date_has_passed(world, api):
    # given
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    world.period.due_date = yesterday
    world.period.save(update_fields=["due_date"])
    before = _snapshot()
    # when
    response = _send(api, world, world.commitment)
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "past_due",
        f"The due date ({yesterday:%b %d, %Y}) has passed: no more invites for this period.",
    )
    assert _snapshot() == before


def test_no_invites_in_a_closed_period(world, api):
    # given
    world.period.status = "closed"
    world.period.save(update_fields=["status"])
    before = _snapshot()
    # when
    response = _send(api, world, world.commitment)
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "period_closed"
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        pytest.param(
            {"commitments": []},
            {"commitments": ["Select at least one."]},
            id="no-commitment",
        ),
        pytest.param(
            {"commitments": [987654]},
            {"commitments": ["No commitment 987654 on this project."]},
            id="unknown-commitment",
        ),
        pytest.param(
            {"commitments": "all"},
            {"commitments": ['Expected a list of items but got type "str".']},
            id="not-a-list",
        ),
        pytest.param(
            {"commitments": [1], "invoice_type": "monthly"},
            {"invoice_type": ['"monthly" is not a valid choice.']},
            id="unknown-invoice-type",
        ),
    ],
)
def test_send_invites_refuses_bad_input_naming_the_field(world, api, body, fields):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/billing-periods/{world.period.pk}/send-invites/", body, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == fields
    assert _snapshot() == before


def test_a_commitment_of_another_project_cannot_be_invited(world, api):
    # given
    foreign = factories.ContractFactory()
    factories.MembershipFactory(user=world.admin, project=foreign.project)
    before = _snapshot()
    # when
    response = _send(api, world, foreign)
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "commitments": [f"No commitment {foreign.pk} on this project."]
    }
    assert _snapshot() == before


# --- Accept, decline -----------------------------------------------------------------------------


@pytest.fixture
def invite(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    return Invite.objects.get()


def test_the_contact_accepts_the_invite(world, api, invite):
    # when
    response = api(world.contact).post(f"/api/v1/invites/{invite.pk}/accept/")
    # then
    assert response.status_code == 200
    invite.refresh_from_db()
    assert invite.status == "accepted"
    assert invite.responded_by == world.contact
    assert response.json() == {
        **_row(world.commitment, status="accepted", value="100000.00", invite=invite),
        "changed": True,
        "message": "You accepted this invite: create your pay app before the due date.",
    }
    event = Event.objects.get(action="invite_accepted")
    assert (event.actor, event.changes) == (world.contact, {"status": ["invited", "accepted"]})


def test_answering_twice_changes_nothing_and_says_so(world, api, invite):
    # given
    assert api(world.contact).post(f"/api/v1/invites/{invite.pk}/accept/").status_code == 200
    before = _snapshot()
    # when
    again = api(world.contact).post(f"/api/v1/invites/{invite.pk}/accept/")
    declined = api(world.contact).post(f"/api/v1/invites/{invite.pk}/decline/")
    # then
    for response in (again, declined):
        assert response.status_code == 200
        assert (response.json()["status"], response.json()["changed"]) == ("accepted", False)
        assert response.json()["message"] == "You already accepted this invite."
    assert _snapshot() == before


def test_the_contact_declines_the_invite(world, api, invite):
    # when
    response = api(world.contact).post(f"/api/v1/invites/{invite.pk}/decline/")
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["changed"]) == ("declined", True)
    assert response.json()["message"] == (
        "You declined this invite: no pay app will be created for this period."
    )
    counts = api(world.admin).get(f"/api/v1/billing-periods/{world.period.pk}/invites/")
    assert counts.json()["counts"]["declined"] == 1


def test_an_invite_cannot_be_accepted_once_the_due_date_has_passed(world, api, invite):
    # given
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    world.period.due_date = yesterday
    world.period.save(update_fields=["due_date"])
    before = _snapshot()
    # when
    response = api(world.contact).post(f"/api/v1/invites/{invite.pk}/accept/")
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "past_due",
        f"The due date ({yesterday:%b %d, %Y}) has passed: ask the contractor to create the "
        "pay app on your behalf.",
    )
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
def test_a_project_member_sees_the_invite_but_may_not_answer_it(world, api, invite, role):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(f"/api/v1/invites/{invite.pk}/accept/")
    # then
    assert response.status_code == 403
    assert response.json() == _refusal(
        "permission_denied",
        "Only a payment application contact of this commitment can answer its Invite to Bill.",
    )
    assert _snapshot() == before


@pytest.mark.parametrize("role", ["other_contact", "stranger"])
def test_anyone_who_may_not_see_the_commitment_gets_not_found(world, api, invite, role):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(f"/api/v1/invites/{invite.pk}/accept/")
    # then
    assert response.status_code == 404
    assert response.json() == _refusal("not_found", "Invite not found.")
    assert _snapshot() == before
