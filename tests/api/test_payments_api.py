"""Payments over the API: `GET, POST /api/v1/pay-apps/{id}/payments/` (API.md), and the pay
app's `payment_status` that follows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.billing.models import Payment
from sitebill.core.models import Event
from tests.conftest import ROLES
from tests.erp.builders import approved_pay_app, client_contract, draft_pay_app

D = Decimal
BODY = {"date": "2026-12-15", "amount": "5000.00", "method": "check", "reference": "Check 1042"}


def url(pay_app):
    return f"/api/v1/pay-apps/{pay_app.pk}/payments/"


def test_an_admin_records_a_payment(world, api):
    # given
    pay_app = approved_pay_app(world)
    # when
    response = api(world.admin).post(url(pay_app), BODY, format="json")
    # then
    assert response.status_code == 201, response.json()
    payment = Payment.objects.get()
    assert response.json() == {
        "id": payment.pk,
        "pay_app": pay_app.pk,
        "date": "2026-12-15",
        "amount": "5000.00",
        "method": "check",
        "reference": "Check 1042",
        "direction": "issued",
        "recorded_by": {"id": world.admin.pk, "email": world.admin.email, "name": world.admin.name},
        "created_at": response.json()["created_at"],
    }
    detail = api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json()
    assert detail["payment_status"] == "partially_paid"


def test_payments_are_listed_oldest_first(world, api):
    # given
    pay_app = approved_pay_app(world)
    client = api(world.admin)
    client.post(url(pay_app), {**BODY, "date": "2026-12-20", "amount": "500.00"}, format="json")
    client.post(url(pay_app), {**BODY, "date": "2026-12-10", "amount": "13000.00"}, format="json")
    # when
    response = api(world.contact).get(url(pay_app))
    # then the vendor's contact sees what it was paid
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(p["date"], p["amount"]) for p in body["results"]] == [
        ("2026-12-10", "13000.00"),
        ("2026-12-20", "500.00"),
    ]
    assert api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json()["payment_status"] == (
        "paid"
    )


def test_an_over_payment_is_refused_naming_the_amount(world, api):
    # given
    pay_app = approved_pay_app(world)
    # when
    response = api(world.admin).post(url(pay_app), {**BODY, "amount": "13500.01"}, format="json")
    # then
    assert response.status_code == 400
    message = (
        "A payment of $13,500.01 would bring the total paid to $13,500.01, more than the current "
        "payment due of $13,500.00: at most $13,500.00 remains to be paid."
    )
    assert response.json() == {
        "message": message,
        "code": "overpayment",
        "fields": {"amount": [message]},
    }
    assert not Payment.objects.exists()


def test_a_payment_on_an_unapproved_pay_app_is_a_conflict(world, api):
    pay_app = draft_pay_app(world)
    response = api(world.admin).post(url(pay_app), BODY, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": 5000}, "amount"),  # a JSON number, not a string
        ({"amount": "50.005"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"method": "barter"}, "method"),
        ({"date": "15/12/2026"}, "date"),
        ({"tip": "1.00"}, "tip"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, api, change, field):
    pay_app = approved_pay_app(world)
    response = api(world.admin).post(url(pay_app), {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not Payment.objects.exists()


def test_a_client_pay_app_records_payments_received(world, api):
    pay_app = approved_pay_app(world, ("12000.00", "0.00"), contract=client_contract(world))
    response = api(world.admin).post(url(pay_app), {**BODY, "amount": "10800.00"}, format="json")
    assert response.status_code == 201
    assert response.json()["direction"] == "received"


RECORD = {
    "admin": 201,
    "standard": 403,
    "read_only": 403,
    "contact": 403,
    "other_contact": 404,
    "stranger": 404,
    "anonymous": 401,
}
LIST = {**RECORD, "admin": 200, "standard": 200, "read_only": 200, "contact": 200}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_record_a_payment(world, api, role):
    # given
    pay_app = approved_pay_app(world)
    events = Event.objects.count()
    # when
    response = api(world.role(role)).post(url(pay_app), BODY, format="json")
    # then
    assert response.status_code == RECORD[role], response.json()
    if RECORD[role] != 201:
        assert not Payment.objects.exists()
        assert Event.objects.count() == events
        assert set(response.json()) == {"message", "code", "fields"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_payments(world, api, role):
    pay_app = approved_pay_app(world)
    response = api(world.role(role)).get(url(pay_app))
    assert response.status_code == LIST[role]


def test_a_missing_pay_app_is_not_found(world, api):
    assert (
        api(world.admin).post("/api/v1/pay-apps/999999/payments/", BODY, format="json").status_code
        == 404
    )


def test_payment_status_costs_no_query_per_pay_app_in_a_list(
    world, api, django_assert_max_num_queries
):
    # given one paid pay app
    pay_app = approved_pay_app(world)
    api(world.admin).post(url(pay_app), {**BODY, "amount": "13500.00"}, format="json")
    list_url = f"/api/v1/projects/{world.project.pk}/pay-apps/"
    with django_assert_max_num_queries(30) as few:
        api(world.admin).get(list_url)
    baseline = len(few.captured_queries)  # read now: the next requests clear the query log
    # and a second, partially paid
    other = approved_pay_app(world, ("1000.00",), contract=world.other_commitment)
    api(world.admin).post(url(other), {**BODY, "amount": "100.00"}, format="json")
    # when / then
    with django_assert_max_num_queries(baseline):
        response = api(world.admin).get(list_url)
    statuses = {row["id"]: row["payment_status"] for row in response.json()["results"]}
    assert statuses == {pay_app.pk: "paid", other.pk: "partially_paid"}
