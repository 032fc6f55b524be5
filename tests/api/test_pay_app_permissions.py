"""Who may call which billing endpoint (DOMAIN.md §4), role by role, over the REST API.

Every endpoint is called by every role of the `world` fixture: a role that may not see the object
gets 404 (exactly like a missing one), one that sees it but may not act gets 403, the anonymous
caller 401. A refused write changes nothing: no status, version, line amount, invite, pay app,
event or email.

Retainage rates are the contractor's, and a release is an Admin's (or the vendor's on a
retainage invoice): the endpoints that do only that refuse anyone else with 403; a line edit that
touches such a field is refused by the service with 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from sitebill.billing.models import Invite, PayApp, PayAppLine
from sitebill.billing.services.invites import invites_send
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_submit,
)
from sitebill.core.models import Event
from sitebill.notifications.models import OutboxEmail
from tests.conftest import ROLES

# --- The states the endpoints act on -------------------------------------------------------------


def _nothing(world):
    return None


def _draft(world):
    """The period's Draft on the concrete commitment, 10,000.00 billed on line 1 (1,000.00
    of retainage held)."""
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    line = pay_app.lines.order_by("position", "id").first()
    pay_app_lines_update(
        actor=world.contact,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[LineChange(line_id=line.pk, work_completed_this_period=Decimal("10000.00"))],
    )
    pay_app.refresh_from_db()
    return pay_app


def _under_review(world):
    pay_app = _draft(world)
    pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version)
    pay_app.refresh_from_db()
    return pay_app


def _invited(world):
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    return Invite.objects.get()


def _first_line(pay_app):
    return pay_app.lines.order_by("position", "id").first().pk


# --- The endpoints -------------------------------------------------------------------------------

READ = {
    "admin": 200,
    "standard": 200,
    "read_only": 200,
    "contact": 200,
    "other_contact": 404,
    "stranger": 404,
    "anonymous": 401,
}
PROJECT_READ = {**READ, "other_contact": 200}
EDIT = {**READ, "read_only": 403}
ADMIN_ONLY = {**READ, "standard": 403, "read_only": 403, "contact": 403}
CONTACT_ONLY = {**READ, "admin": 403, "standard": 403, "read_only": 403}


@dataclass(frozen=True)
class Call:
    method: str
    path: Callable[[Any, Any], str]
    given: Callable[[Any], Any]
    statuses: dict[str, int]
    body: Callable[[Any, Any], dict[str, Any] | None] = lambda world, target: None


ENDPOINTS = {
    "list-invites": Call(
        "get",
        lambda world, _: f"/api/v1/billing-periods/{world.period.pk}/invites/",
        _nothing,
        PROJECT_READ,
    ),
    "send-invites": Call(
        "post",
        lambda world, _: f"/api/v1/billing-periods/{world.period.pk}/send-invites/",
        _nothing,
        {**ADMIN_ONLY, "other_contact": 403},
        lambda world, _: {"commitments": [world.commitment.pk]},
    ),
    "accept-invite": Call(
        "post",
        lambda world, invite: f"/api/v1/invites/{invite.pk}/accept/",
        _invited,
        CONTACT_ONLY,
    ),
    "decline-invite": Call(
        "post",
        lambda world, invite: f"/api/v1/invites/{invite.pk}/decline/",
        _invited,
        CONTACT_ONLY,
    ),
    "list-commitment-pay-apps": Call(
        "get",
        lambda world, _: f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        _draft,
        READ,
    ),
    "create-pay-app": Call(
        "post",
        lambda world, _: f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        _nothing,
        {**EDIT, "admin": 201, "standard": 201, "contact": 201},
        lambda world, _: {"billing_period": world.period.pk},
    ),
    "list-project-pay-apps": Call(
        "get",
        lambda world, _: f"/api/v1/projects/{world.project.pk}/pay-apps/",
        _draft,
        PROJECT_READ,
    ),
    "read-pay-app": Call(
        "get", lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/", _draft, READ
    ),
    "update-pay-app": Call(
        "patch",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/",
        _draft,
        EDIT,
        lambda world, pay_app: {"version": pay_app.version, "invoice_number": "INV-9"},
    ),
    "delete-pay-app": Call(
        "delete",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/?version={pay_app.version}",
        _draft,
        {**EDIT, "admin": 204, "standard": 204, "contact": 204},
    ),
    "update-line": Call(
        "patch",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/lines/{_first_line(pay_app)}/",
        _draft,
        EDIT,
        lambda world, pay_app: {
            "version": pay_app.version,
            "work_completed_this_period": "12000.00",
        },
    ),
    "update-lines": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/lines/",
        _draft,
        EDIT,
        lambda world, pay_app: {
            "version": pay_app.version,
            "lines": [{"id": _first_line(pay_app), "materials_presently_stored": "500.00"}],
        },
    ),
    "set-retainage": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/retainage/",
        _draft,
        {**EDIT, "contact": 403},
        lambda world, pay_app: {
            "version": pay_app.version,
            "work_percent": "5.00",
            "stored_percent": "5.00",
        },
    ),
    "release-retainage": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/release-retainage/",
        _draft,
        {**EDIT, "standard": 403, "contact": 403},
        lambda world, pay_app: {"version": pay_app.version, "percent": "50"},
    ),
    "submit": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/submit/",
        _draft,
        EDIT,
        lambda world, pay_app: {"version": pay_app.version},
    ),
    "review": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/review/",
        _under_review,
        ADMIN_ONLY,
        lambda world, pay_app: {"status": "approved", "version": pay_app.version},
    ),
    "correct-status": Call(
        "post",
        lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/status/",
        _draft,
        ADMIN_ONLY,
        lambda world, pay_app: {
            "status": "under_review",
            "reason": "Received on paper.",
            "version": pay_app.version,
        },
    ),
    "history": Call(
        "get", lambda world, pay_app: f"/api/v1/pay-apps/{pay_app.pk}/history/", _draft, READ
    ),
}


def _snapshot():
    """Everything a billing write could touch."""
    return {
        "pay_apps": sorted(
            PayApp.objects.values_list(
                "pk", "status", "version", "invoice_number", "billing_date", "review_comment"
            )
        ),
        "lines": sorted(
            PayAppLine.objects.values_list(
                "pk",
                "work_completed_this_period",
                "materials_presently_stored",
                "retainage_work_percent",
                "retainage_stored_percent",
                "retainage_released_this_period",
                "review_status",
                "review_reason",
            )
        ),
        "invites": sorted(Invite.objects.values_list("pk", "contract_id", "status")),
        "events": Event.objects.count(),
        "emails": OutboxEmail.objects.count(),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_each_role_gets_the_answer_its_permission_gives(world, api, endpoint, role):
    # given
    call = ENDPOINTS[endpoint]
    target = call.given(world)
    expected = call.statuses[role]
    before = _snapshot()
    # when
    client = api(world.role(role))
    body = call.body(world, target)
    response = getattr(client, call.method)(call.path(world, target), body, format="json")
    # then
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()) == {"message", "code", "fields"}
        assert _snapshot() == before
    if call.method != "get" and expected < 400:
        assert _snapshot() != before


def test_a_refusal_for_a_read_only_user_says_why(world, api):
    # given
    pay_app = _draft(world)
    # when
    response = api(world.read_only).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{_first_line(pay_app)}/",
        {"version": pay_app.version, "work_completed_this_period": "1.00"},
        format="json",
    )
    # then
    assert response.json() == {
        "message": "Read Only users cannot edit pay apps.",
        "code": "permission_denied",
        "fields": {},
    }


def test_only_an_admin_reviews_and_says_so(world, api):
    # given
    pay_app = _under_review(world)
    # when
    response = api(world.standard).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {"status": "approved", "version": pay_app.version},
        format="json",
    )
    # then
    assert response.json() == {
        "message": "Only an Admin can review a pay app.",
        "code": "permission_denied",
        "fields": {},
    }


def test_a_contact_patching_a_retainage_rate_is_refused_and_nothing_changes(world, api):
    # given
    pay_app = _draft(world)
    before = _snapshot()
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{_first_line(pay_app)}/",
        {"version": pay_app.version, "retainage_work_percent": "0.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "retainage_work_percent": ["Line 1: retainage rates are set by the contractor."]
    }
    assert _snapshot() == before


def test_a_contact_releasing_retainage_on_a_work_and_materials_invoice_is_refused(world, api):
    # given
    pay_app = _draft(world)
    before = _snapshot()
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{_first_line(pay_app)}/",
        {"version": pay_app.version, "retainage_released_this_period": "100.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["retainage_released_this_period"]
    assert _snapshot() == before


def test_a_private_commitments_pay_app_is_not_found_for_a_standard_user_off_its_list(world, api):
    # given
    pay_app = _draft(world)
    world.commitment.private = True
    world.commitment.save(update_fields=["private"])
    # when
    response = api(world.standard).get(f"/api/v1/pay-apps/{pay_app.pk}/")
    # then
    assert response.status_code == 404
    # and once on the private list
    world.commitment.private_viewers.add(world.standard)
    assert api(world.standard).get(f"/api/v1/pay-apps/{pay_app.pk}/").status_code == 200
