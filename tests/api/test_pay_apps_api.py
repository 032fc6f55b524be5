"""Pay apps over the REST API: create, read (G702 + G703), edit lines, retainage, submit, review,
correct, delete and history (API.md, DOMAIN.md §4-5).

Amounts go in and come out as decimal strings; every write sends the `version` it last read and a
stale one is refused with 409; a refused write changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import yaml
from django.utils import timezone
from rest_framework.test import APIClient

from sitebill.billing.models import Invite, PayApp, PayAppLine
from sitebill.billing.services.invites import invites_send
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.core.models import Event
from sitebill.notifications.models import OutboxEmail
from tests import factories

D = Decimal

G702_FIELDS = {
    "original_contract_sum",
    "net_change_by_change_orders",
    "contract_sum_to_date",
    "total_completed_and_stored_to_date",
    "retainage_on_completed_work",
    "retainage_on_stored_materials",
    "total_retainage",
    "total_earned_less_retainage",
    "less_previous_certificates",
    "current_payment_due",
    "balance_to_finish_including_retainage",
}
CHANGE_ORDER_SUMMARY_FIELDS = {
    "co_additions_previous",
    "co_deductions_previous",
    "co_additions_this_period",
    "co_deductions_this_period",
    "co_additions_total",
    "co_deductions_total",
}
LINE_FIELDS = {
    "id",
    "item_number",
    "description",
    "cost_code",
    "scheduled_value",
    "work_completed_previous",
    "work_completed_this_period",
    "materials_presently_stored",
    "total_completed_and_stored",
    "percent_complete",
    "balance_to_finish",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_held",
    "retainage_released_this_period",
    "review_status",
    "review_reason",
}
LINE_EXTRA_FIELDS = {
    "is_change_order",
    "quantity_this_period",
    "unit_price",
    "claimed_work_this_period",
}


# --- Helpers -------------------------------------------------------------------------------------


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


def _person(user):
    return {"id": user.pk, "email": user.email, "name": user.name}


def _snapshot():
    """Everything a refused pay app write could have touched."""
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
        "invites": sorted(Invite.objects.values_list("pk", "status")),
        "events": Event.objects.count(),
        "emails": OutboxEmail.objects.count(),
    }


def _draft(world, actor=None):
    """The period's Draft on the concrete commitment, created by the contact (or `actor`)."""
    actor = actor or world.contact
    return pay_app_create(
        actor=actor,
        contract=world.commitment,
        billing_period=world.period,
        on_behalf_of=None if actor == world.contact else world.contact,
    )


def _bill(world, pay_app, *amounts, actor=None):
    """Enter E on the first lines, through the service."""
    pay_app.refresh_from_db()
    lines = list(pay_app.lines.order_by("position", "id"))
    pay_app_lines_update(
        actor=actor or world.contact,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[
            LineChange(line_id=line.pk, work_completed_this_period=D(amount))
            for line, amount in zip(lines, amounts, strict=False)
        ],
    )
    pay_app.refresh_from_db()
    return pay_app


def _submitted(world, *amounts):
    pay_app = _bill(world, _draft(world), *amounts)
    pay_app_submit(actor=world.contact, pay_app=pay_app, version=pay_app.version)
    pay_app.refresh_from_db()
    return pay_app


def _approved(world, *amounts):
    pay_app = _submitted(world, *amounts)
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    pay_app.refresh_from_db()
    return pay_app


def _line_ids(pay_app):
    return list(pay_app.lines.order_by("position", "id").values_list("pk", flat=True))


def _next_period(api, world):
    """The admin opens period 2 (the open period closes), through the API."""
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/",
        {"start_date": "2026-12-01", "end_date": "2026-12-31", "due_date": "2099-12-31"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _refusal(code, message, fields=None):
    return {"message": message, "code": code, "fields": fields or {}}


# --- Create --------------------------------------------------------------------------------------


def test_a_contact_creates_the_periods_pay_app_with_every_line_carried_forward(world, api):
    # when
    response = api(world.contact).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": world.period.pk, "invoice_number": "INV-1001"},
        format="json",
    )
    # then
    assert response.status_code == 201
    pay_app = PayApp.objects.get()
    sov = list(world.commitment.lines.order_by("position"))
    lines = list(pay_app.lines.order_by("position"))
    zero = "0.00"
    assert response.json() == {
        "id": pay_app.pk,
        "number": 1,
        "status": "draft",
        "invoice_type": "work_and_materials",
        "invoice_number": "INV-1001",
        "billing_date": timezone.localdate().isoformat(),
        "commitment": world.commitment.pk,
        "billing_period": world.period.pk,
        "version": 1,
        "payment_status": "unpaid",
        "erp_status": None,
        "submitted_at": None,
        "review_comment": "",
        "created_by": _person(world.contact),
        "on_behalf_of": _person(world.contact),
        "g702": {
            "original_contract_sum": "100000.00",
            "net_change_by_change_orders": zero,
            "contract_sum_to_date": "100000.00",
            "total_completed_and_stored_to_date": zero,
            "retainage_on_completed_work": zero,
            "retainage_on_stored_materials": zero,
            "total_retainage": zero,
            "total_earned_less_retainage": zero,
            "less_previous_certificates": zero,
            "current_payment_due": zero,
            "balance_to_finish_including_retainage": "100000.00",
            "co_additions_previous": zero,
            "co_deductions_previous": zero,
            "co_additions_this_period": zero,
            "co_deductions_this_period": zero,
            "co_additions_total": zero,
            "co_deductions_total": zero,
        },
        "lines": [
            {
                "id": line.pk,
                "item_number": item.item_number,
                "description": item.description,
                "cost_code": item.cost_code,
                "scheduled_value": value,
                "work_completed_previous": zero,
                "work_completed_this_period": zero,
                "materials_presently_stored": zero,
                "total_completed_and_stored": zero,
                "percent_complete": zero,
                "balance_to_finish": value,
                "retainage_work_percent": "10.00",
                "retainage_stored_percent": "10.00",
                "retainage_held": zero,
                "retainage_released_this_period": zero,
                "review_status": "no_action",
                "review_reason": "",
                "is_change_order": False,
                "quantity_this_period": None,
                "unit_price": None,
                "claimed_work_this_period": None,
            }
            for line, item, value in zip(
                lines, sov, ["50000.00", "30000.00", "20000.00"], strict=True
            )
        ],
        "warnings": [],
    }
    assert set(response.json()["g702"]) == G702_FIELDS | CHANGE_ORDER_SUMMARY_FIELDS
    assert set(response.json()["lines"][0]) == LINE_FIELDS | LINE_EXTRA_FIELDS


def test_a_standard_user_creates_a_pay_app_on_a_contacts_behalf(world, api):
    # when
    response = api(world.standard).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {
            "billing_period": world.period.pk,
            "billing_date": "2026-11-30",
            "invoice_type": "work_materials_and_retainage",
            "on_behalf_of": world.contact.pk,
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["created_by"], body["on_behalf_of"]) == (
        _person(world.standard),
        _person(world.contact),
    )
    assert (body["billing_date"], body["invoice_type"]) == (
        "2026-11-30",
        "work_materials_and_retainage",
    )


def test_a_pay_app_is_created_on_behalf_of_a_contact_of_the_commitment_only(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": world.period.pk, "on_behalf_of": world.other_contact.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "on_behalf_of": ["Not a payment application contact of this commitment."]
    }
    assert _snapshot() == before


def test_a_billing_period_of_another_project_is_bad_input(world, api):
    # given
    elsewhere = factories.BillingPeriodFactory()
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": elsewhere.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "invalid",
        "Choose a billing period of this project.",
        {"billing_period": ["No such billing period on this project."]},
    )
    assert _snapshot() == before


def test_a_contact_who_declined_the_invite_cannot_create_the_pay_app(world, api):
    # given the contact declines the period's invite
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite = Invite.objects.get()
    declined = api(world.contact).post(f"/api/v1/invites/{invite.pk}/decline/")
    assert declined.status_code == 200
    before = _snapshot()
    # when
    response = api(world.contact).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": world.period.pk},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json() == _refusal(
        "invite_declined",
        "The Invite to Bill for this period was declined: no pay app is created for it.",
    )
    assert _snapshot() == before


def test_a_contact_cannot_create_the_pay_app_once_the_due_date_has_passed(world, api):
    # given
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    world.period.due_date = yesterday
    world.period.save(update_fields=["due_date"])
    before = _snapshot()
    # when
    response = api(world.contact).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": world.period.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "past_due",
        f"The due date of this billing period ({yesterday:%b %d, %Y}) has passed: ask the "
        "contractor to create the pay app on your behalf.",
    )
    assert _snapshot() == before


def test_a_second_pay_app_waits_until_the_latest_is_approved(world, api):
    # given a Draft in period 1, and period 2 open
    _draft(world)
    period2 = _next_period(api, world)
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": period2},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json() == _refusal(
        "previous_not_approved",
        "Pay app #1 is Draft: it must be approved before the next one is created.",
    )
    assert _snapshot() == before


def test_the_next_pay_app_carries_work_and_certificates_forward(world, api):
    # given pay app #1 approved with 10,000.00 + 3,000.00 of work, and period 2 open
    _approved(world, "10000.00", "3000.00")
    period2 = _next_period(api, world)
    # when
    response = api(world.contact).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": period2},
        format="json",
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["number"] == 2
    assert [line["work_completed_previous"] for line in body["lines"]] == [
        "10000.00",
        "3000.00",
        "0.00",
    ]
    assert [line["work_completed_this_period"] for line in body["lines"]] == ["0.00"] * 3
    assert body["g702"]["less_previous_certificates"] == "11700.00"
    assert body["g702"]["total_retainage"] == "1300.00"
    assert body["g702"]["current_payment_due"] == "0.00"


# --- Lists ---------------------------------------------------------------------------------------


def test_a_commitments_pay_apps_are_listed_newest_first(world, api):
    # given
    first = _approved(world, "10000.00")
    period2 = _next_period(api, world)
    second = api(world.contact).post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": period2},
        format="json",
    )
    # when
    response = api(world.read_only).get(f"/api/v1/commitments/{world.commitment.pk}/pay-apps/")
    # then
    assert response.status_code == 200
    assert [(row["id"], row["number"]) for row in response.json()["results"]] == [
        (second.json()["id"], 2),
        (first.pk, 1),
    ]


def test_a_projects_pay_apps_are_listed_with_what_is_due(world, api):
    # given
    pay_app = _bill(world, _draft(world), "10000.00", "3000.00")
    # when
    response = api(world.admin).get(f"/api/v1/projects/{world.project.pk}/pay-apps/")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": pay_app.pk,
                "number": 1,
                "status": "draft",
                "invoice_type": "work_and_materials",
                "invoice_number": "",
                "billing_date": timezone.localdate().isoformat(),
                "commitment": world.commitment.pk,
                "billing_period": world.period.pk,
                "version": 2,
                "payment_status": "unpaid",
                "erp_status": None,
                "submitted_at": None,
                "commitment_number": "SC-001",
                "vendor": world.vendor.pk,
                "vendor_name": "Acme Concrete",
                "current_payment_due": "11700.00",
                "work_completed_this_period": "13000.00",
            }
        ],
    }


def test_the_project_list_filters_by_period_status_and_vendor(world, api):
    # given a Draft for each commitment; the electrical one is submitted
    concrete = _draft(world)
    electrical = pay_app_create(
        actor=world.other_contact, contract=world.other_commitment, billing_period=world.period
    )
    pay_app_submit(actor=world.other_contact, pay_app=electrical)
    url = f"/api/v1/projects/{world.project.pk}/pay-apps/"

    def ids(**query):
        response = api(world.admin).get(url, query)
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    # then
    assert ids() == [concrete.pk, electrical.pk]
    assert ids(status="under_review") == [electrical.pk]
    assert ids(vendor=world.vendor.pk) == [concrete.pk]
    assert ids(billing_period=world.period.pk, status="draft") == [concrete.pk]
    assert ids(billing_period=world.period.pk + 1) == []


def test_a_contact_lists_only_its_own_pay_apps(world, api):
    # given
    concrete = _draft(world)
    pay_app_create(
        actor=world.other_contact, contract=world.other_commitment, billing_period=world.period
    )
    # when
    response = api(world.contact).get(f"/api/v1/projects/{world.project.pk}/pay-apps/")
    # then
    assert [row["id"] for row in response.json()["results"]] == [concrete.pk]


def test_an_unknown_status_filter_is_bad_input(world, api):
    # when
    response = api(world.admin).get(
        f"/api/v1/projects/{world.project.pk}/pay-apps/", {"status": "paid"}
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ['"paid" is not a valid choice.']}


def test_the_project_list_costs_the_same_queries_for_one_or_many_pay_apps(
    world, api, django_assert_max_num_queries
):
    # given one pay app
    _bill(world, _draft(world), "10000.00")
    url = f"/api/v1/projects/{world.project.pk}/pay-apps/"
    with django_assert_max_num_queries(20) as few:
        api(world.admin).get(url)
    # and five more commitments with a pay app each
    for number in range(3, 8):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-00{number}")
        factories.SOVLineFactory.create_batch(4, contract=commitment)
        pay_app_create(actor=world.admin, contract=commitment, billing_period=world.period)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api(world.admin).get(url)
    assert response.json()["count"] == 6


# --- Detail --------------------------------------------------------------------------------------


def test_a_pay_app_with_60_lines_costs_the_same_queries_as_one_with_3(
    world, api, django_assert_max_num_queries
):
    # given a 3-line pay app
    small = _draft(world)
    with django_assert_max_num_queries(20) as few:
        assert api(world.admin).get(f"/api/v1/pay-apps/{small.pk}/").status_code == 200
    # and a 60-line pay app with a change order
    big_commitment = factories.ContractFactory(project=world.project, number="SC-060")
    factories.SOVLineFactory.create_batch(59, contract=big_commitment)
    factories.ChangeOrderLineFactory(
        change_order=factories.ChangeOrderFactory(contract=big_commitment)
    )
    big = pay_app_create(actor=world.admin, contract=big_commitment, billing_period=world.period)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api(world.admin).get(f"/api/v1/pay-apps/{big.pk}/")
    assert len(response.json()["lines"]) == 60
    assert response.json()["lines"][-1]["is_change_order"] is True
    assert response.json()["g702"]["net_change_by_change_orders"] == "1000.00"


def test_a_missing_pay_app_is_not_found(world, api):
    # when
    response = api(world.admin).get("/api/v1/pay-apps/987654/")
    # then
    assert response.status_code == 404
    assert response.json() == _refusal("not_found", "Pay app not found.")


def test_an_overbilled_line_is_saved_with_a_warning_when_the_project_warns(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "work_completed_this_period": "60000.00"},
        format="json",
    )
    # then
    assert response.status_code == 200
    description = PayAppLine.objects.get(pk=line).description
    assert response.json()["warnings"] == [f"Billed above the scheduled value on: 1 {description}."]
    assert response.json()["lines"][0]["percent_complete"] == "120.00"


# --- Editing lines -------------------------------------------------------------------------------


def test_a_contact_enters_work_and_stored_materials_and_gets_the_new_figures(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[2]
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {
            "version": 1,
            "work_completed_this_period": "4000.00",
            "materials_presently_stored": "2000.00",
        },
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    # the answer's rows are the edited line's (flat rates: no other row changes)
    [row] = body["lines"]
    assert row["id"] == line
    shown = [
        "work_completed_this_period",
        "materials_presently_stored",
        "total_completed_and_stored",
        "percent_complete",
        "balance_to_finish",
        "retainage_held",
    ]
    assert [row[key] for key in shown] == [
        "4000.00",
        "2000.00",
        "6000.00",
        "30.00",
        "14000.00",
        "600.00",
    ]
    assert {key: body["g702"][key] for key in G702_FIELDS} == {
        "original_contract_sum": "100000.00",
        "net_change_by_change_orders": "0.00",
        "contract_sum_to_date": "100000.00",
        "total_completed_and_stored_to_date": "6000.00",
        "retainage_on_completed_work": "400.00",
        "retainage_on_stored_materials": "200.00",
        "total_retainage": "600.00",
        "total_earned_less_retainage": "5400.00",
        "less_previous_certificates": "0.00",
        "current_payment_due": "5400.00",
        "balance_to_finish_including_retainage": "94600.00",
    }
    event = Event.objects.filter(target_type="payapp", action="lines_updated").get()
    assert event.changes == {
        "line 3 work_completed_this_period": ["0.00", "4000.00"],
        "line 3 materials_presently_stored": ["0.00", "2000.00"],
    }


def test_a_percent_complete_sets_the_work_of_the_period(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[1]
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "percent_complete": "33.3333"},
        format="json",
    )
    # then
    assert response.status_code == 200
    [row] = response.json()["lines"]
    # E = round(33.3333% × 30,000.00) − D = 9,999.99
    assert (row["work_completed_this_period"], row["percent_complete"]) == ("9999.99", "33.33")


def test_an_edit_without_version_is_refused_naming_version(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    before = _snapshot()
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"work_completed_this_period": "10.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "invalid", "version: This field is required.", {"version": ["This field is required."]}
    )
    assert _snapshot() == before


def test_an_edit_from_a_stale_version_is_a_conflict_and_changes_nothing(world, api):
    # given someone else saved since version 1 was read
    pay_app = _bill(world, _draft(world), "10000.00")
    line = _line_ids(pay_app)[0]
    before = _snapshot()
    # when
    response = api(world.standard).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "work_completed_this_period": "12000.00"},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json() == _refusal(
        "stale_version",
        "This pay app was changed by someone else since you opened it: reload it and make your "
        "change again.",
    )
    assert _snapshot() == before


BAD_AMOUNTS = [
    pytest.param(1250.5, "Send it as a JSON string, not a number.", id="json-number"),
    pytest.param(1250, "Send it as a JSON string, not a number.", id="json-integer"),
    pytest.param("1250.005", 'like "1250.00".', id="three-places"),
    pytest.param("NaN", 'like "1250.00".', id="nan"),
]


@pytest.mark.parametrize(("amount", "ending"), BAD_AMOUNTS)
def test_money_that_is_not_a_two_place_decimal_string_is_refused_naming_the_field(
    world, api, amount, ending
):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    before = _snapshot()
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "materials_presently_stored": amount},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["materials_presently_stored"]
    assert response.json()["fields"]["materials_presently_stored"][0].endswith(ending)
    assert _snapshot() == before


@pytest.mark.parametrize(("amount", "ending"), BAD_AMOUNTS)
def test_money_in_a_bulk_edit_is_refused_naming_the_line_and_field(world, api, amount, ending):
    # given
    pay_app = _draft(world)
    first, second, _third = _line_ids(pay_app)
    before = _snapshot()
    # when
    response = api(world.contact).post(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/",
        {
            "version": 1,
            "lines": [
                {"id": first, "work_completed_this_period": "100.00"},
                {"id": second, "work_completed_this_period": amount},
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["lines[1].work_completed_this_period"]
    assert _snapshot() == before


def test_an_unknown_field_in_an_edit_is_refused(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "work_completed_this_periode": "10.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"work_completed_this_periode": ["Unknown field."]}


def test_a_line_of_another_pay_app_is_not_found(world, api):
    # given
    pay_app = _draft(world)
    other = pay_app_create(
        actor=world.admin, contract=world.other_commitment, billing_period=world.period
    )
    before = _snapshot()
    # when
    response = api(world.admin).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{_line_ids(other)[0]}/",
        {"version": 1, "work_completed_this_period": "10.00"},
        format="json",
    )
    # then
    assert response.status_code == 404
    assert response.json() == _refusal("not_found", "Line not found.")
    assert _snapshot() == before


def test_a_contact_may_not_change_a_retainage_rate_and_nothing_is_saved(world, api):
    # given
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    before = _snapshot()
    # when: the amount is fine, the rate is not the contact's to set
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "work_completed_this_period": "100.00", "retainage_work_percent": "5.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "invalid",
        "Line 1: retainage rates are set by the contractor.",
        {"retainage_work_percent": ["Line 1: retainage rates are set by the contractor."]},
    )
    assert _snapshot() == before


def test_a_standard_user_changes_a_lines_retainage_rate(world, api):
    # given
    pay_app = _bill(world, _draft(world), "10000.00")
    line = _line_ids(pay_app)[0]
    # when
    response = api(world.standard).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": pay_app.version, "retainage_work_percent": "5.00"},
        format="json",
    )
    # then
    assert response.status_code == 200
    row = response.json()["lines"][0]
    assert (row["retainage_work_percent"], row["retainage_held"]) == ("5.00", "500.00")


def test_a_bulk_edit_saves_every_line_or_none(world, api):
    # given the project blocks overbilling
    world.project.overbilling = "block"
    world.project.save(update_fields=["overbilling"])
    pay_app = _draft(world)
    first, second, _third = _line_ids(pay_app)
    before = _snapshot()
    # when the second line goes past its scheduled value
    response = api(world.contact).post(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/",
        {
            "version": 1,
            "lines": [
                {"id": first, "work_completed_this_period": "10000.00"},
                {"id": second, "work_completed_this_period": "30000.01"},
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 400
    message = (
        "Line 2: total completed and stored (30000.01) is above the scheduled value (30000.00); "
        "this project does not allow overbilling."
    )
    assert response.json() == _refusal(
        "overbilling", message, {"lines[1].work_completed_this_period": [message]}
    )
    assert _snapshot() == before


def test_a_bulk_edit_saves_all_lines_in_one_version(world, api):
    # given
    pay_app = _draft(world)
    first, second, third = _line_ids(pay_app)
    # when
    response = api(world.contact).post(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/",
        {
            "version": 1,
            "lines": [
                {"id": first, "work_completed_this_period": "10000.00"},
                {"id": second, "percent_complete": "10"},
                {"id": third, "materials_presently_stored": "500.00"},
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [row["total_completed_and_stored"] for row in body["lines"]] == [
        "10000.00",
        "3000.00",
        "500.00",
    ]
    assert body["g702"]["current_payment_due"] == "12150.00"


def test_a_contact_cannot_edit_a_draft_once_the_due_date_has_passed(world, api):
    # given a Draft, then the due date passes
    pay_app = _draft(world)
    line = _line_ids(pay_app)[0]
    world.period.due_date = timezone.localdate() - dt.timedelta(days=1)
    world.period.save(update_fields=["due_date"])
    before = _snapshot()
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": 1, "work_completed_this_period": "10000.00"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["code"] == "past_due"
    assert _snapshot() == before


def test_nobody_edits_an_approved_pay_app(world, api):
    # given
    pay_app = _approved(world, "10000.00")
    line = _line_ids(pay_app)[0]
    before = _snapshot()
    # when
    response = api(world.admin).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line}/",
        {"version": pay_app.version, "work_completed_this_period": "1.00"},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json() == _refusal(
        "not_editable", "This pay app is Approved: it can no longer be edited."
    )
    assert _snapshot() == before


# --- Details, retainage ------------------------------------------------------------------------


def test_the_invoice_number_and_billing_date_are_changed_with_the_version(world, api):
    # given
    pay_app = _draft(world)
    # when
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/",
        {"version": 1, "invoice_number": "INV-7", "billing_date": "2026-11-28"},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["invoice_number"], body["billing_date"], body["version"]) == (
        "INV-7",
        "2026-11-28",
        2,
    )
    event = Event.objects.get(action="details_updated")
    assert event.changes == {
        "invoice_number": ["", "INV-7"],
        "billing_date": [timezone.localdate().isoformat(), "2026-11-28"],
    }


def test_an_admin_sets_retainage_for_every_line(world, api):
    # given
    pay_app = _bill(world, _draft(world), "10000.00", "3000.00")
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/retainage/",
        {"version": pay_app.version, "work_percent": "5.00", "stored_percent": "0"},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert [
        (row["retainage_work_percent"], row["retainage_stored_percent"]) for row in body["lines"]
    ] == [("5.00", "0.00")] * 3
    assert body["g702"]["total_retainage"] == "650.00"


def test_a_contact_may_not_set_retainage_for_every_line(world, api):
    # given
    pay_app = _draft(world)
    before = _snapshot()
    # when
    response = api(world.contact).post(
        f"/api/v1/pay-apps/{pay_app.pk}/retainage/",
        {"version": 1, "work_percent": "0", "stored_percent": "0"},
        format="json",
    )
    # then: the contact sees the pay app but may not act (DOMAIN.md §4): 403
    assert response.status_code == 403
    assert response.json() == {
        "message": "Retainage rates are set by the contractor (Standard or Admin users).",
        "code": "permission_denied",
        "fields": {},
    }
    assert _snapshot() == before


def test_an_admin_releases_half_the_retainage_held(world, api):
    # given an approved pay app holding 1,000.00 + 500.00, and the next one
    _approved(world, "10000.00", "5000.00")
    period2 = _next_period(api, world)
    second = (
        api(world.admin)
        .post(
            f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
            {"billing_period": period2, "on_behalf_of": world.contact.pk},
            format="json",
        )
        .json()
    )
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{second['id']}/release-retainage/",
        {"version": second["version"], "percent": "50"},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert [row["retainage_released_this_period"] for row in body["lines"]] == [
        "500.00",
        "250.00",
        "0.00",
    ]
    assert (body["g702"]["total_retainage"], body["g702"]["current_payment_due"]) == (
        "750.00",
        "750.00",
    )


def test_releasing_more_than_is_held_is_refused_naming_the_amount(world, api):
    # given
    pay_app = _bill(world, _draft(world, actor=world.admin), "10000.00", actor=world.admin)
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/release-retainage/",
        {"version": pay_app.version, "amount": "1000.01"},
        format="json",
    )
    # then
    assert response.status_code == 400
    message = "cannot release 1000.01: only 1000.00 of retainage is held"
    assert response.json() == _refusal("invalid", message, {"amount": [message]})
    assert _snapshot() == before


# --- Submit, review, correct, delete --------------------------------------------------------------


def test_a_contact_submits_and_the_claimed_amounts_are_kept(world, api):
    # given
    pay_app = _bill(world, _draft(world), "10000.00")
    # when
    response = api(world.contact).post(
        f"/api/v1/pay-apps/{pay_app.pk}/submit/", {"version": pay_app.version}, format="json"
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "under_review"
    assert body["submitted_at"] is not None
    assert [row["claimed_work_this_period"] for row in body["lines"]] == [
        "10000.00",
        "0.00",
        "0.00",
    ]


def test_submitting_twice_is_a_conflict(world, api):
    # given
    pay_app = _submitted(world, "10000.00")
    before = _snapshot()
    # when
    response = api(world.contact).post(f"/api/v1/pay-apps/{pay_app.pk}/submit/", {}, format="json")
    # then
    assert response.status_code == 409
    assert response.json() == _refusal(
        "invalid_transition",
        "This pay app is Under Review: only a Draft or a Revise & Resubmit pay app can be "
        "submitted.",
    )
    assert _snapshot() == before


def test_a_review_rejecting_a_line_returns_it_for_revision(world, api):
    # given
    pay_app = _submitted(world, "10000.00", "3000.00")
    first, second, _third = _line_ids(pay_app)
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {
            "status": "revise_and_resubmit",
            "comment": "See line 2.",
            "version": pay_app.version,
            "lines": [
                {"id": first, "status": "approved"},
                {"id": second, "status": "rejected", "reason": "Only 2,000.00 in place."},
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["review_comment"]) == ("revise_and_resubmit", "See line 2.")
    assert [(row["review_status"], row["review_reason"]) for row in body["lines"]] == [
        ("approved", ""),
        ("rejected", "Only 2,000.00 in place."),
        ("no_action", ""),
    ]
    assert body["lines"][1]["work_completed_this_period"] == "3000.00"


def test_a_rejected_line_needs_a_reason_named_by_its_place(world, api):
    # given
    pay_app = _submitted(world, "10000.00")
    first, second, _third = _line_ids(pay_app)
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {
            "status": "revise_and_resubmit",
            "version": pay_app.version,
            "lines": [{"id": first, "status": "approved"}, {"id": second, "status": "rejected"}],
        },
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "invalid",
        "Line 2: give a reason for rejecting it.",
        {"lines[1].reason": ["Line 2: give a reason for rejecting it."]},
    )
    assert _snapshot() == before


def test_a_second_reviewer_gets_a_conflict_and_the_first_review_stands(world, api):
    # given two admins opened the same version
    pay_app = _submitted(world, "10000.00")
    second_admin = factories.MembershipFactory(project=world.project).user
    seen = pay_app.version
    first = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {"status": "pending_owner_approval", "version": seen},
        format="json",
    )
    assert first.status_code == 200
    before = _snapshot()
    # when
    response = api(second_admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {"status": "approved", "version": seen},
        format="json",
    )
    # then
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"
    assert _snapshot() == before
    pay_app.refresh_from_db()
    assert pay_app.status == "pending_owner_approval"


def test_a_review_outcome_must_be_a_review_status(world, api):
    # given
    pay_app = _submitted(world, "10000.00")
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {"status": "draft", "version": pay_app.version},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"status": ['"draft" is not a valid choice.']}


def test_an_admin_corrects_a_status_with_a_reason(world, api):
    # given
    pay_app = _draft(world)
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/status/",
        {"status": "under_review", "reason": "Received on paper.", "version": 1},
        format="json",
    )
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["version"]) == ("under_review", 2)
    event = Event.objects.get(action="status_corrected")
    assert (event.changes, event.reason) == (
        {"status": ["draft", "under_review"]},
        "Received on paper.",
    )


def test_a_status_correction_without_a_reason_is_refused(world, api):
    # given
    pay_app = _draft(world)
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/status/",
        {"status": "approved", "reason": "  ", "version": 1},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == _refusal(
        "invalid", "A status correction needs a reason.", {"reason": ["Give a reason."]}
    )
    assert _snapshot() == before


def test_a_draft_is_deleted_with_its_version(world, api):
    # given
    pay_app = _draft(world)
    # when
    response = api(world.contact).delete(f"/api/v1/pay-apps/{pay_app.pk}/?version=1")
    # then
    assert response.status_code == 204
    assert not PayApp.objects.exists()
    assert Event.objects.filter(action="pay_app_deleted", target_id=pay_app.pk).count() == 1


def test_a_delete_needs_the_version(world, api):
    # given
    pay_app = _draft(world)
    before = _snapshot()
    # when
    missing = api(world.contact).delete(f"/api/v1/pay-apps/{pay_app.pk}/")
    stale = api(world.contact).delete(f"/api/v1/pay-apps/{pay_app.pk}/?version=7")
    # then
    assert missing.status_code == 400
    assert missing.json()["fields"] == {"version": ["This field is required."]}
    assert stale.status_code == 409
    assert _snapshot() == before


# --- History -------------------------------------------------------------------------------------


def test_the_history_lists_every_step_with_who_and_what_changed(world, api):
    # given
    pay_app = _submitted(world, "10000.00")
    # when
    response = api(world.read_only).get(f"/api/v1/pay-apps/{pay_app.pk}/history/")
    # then
    assert response.status_code == 200
    events = Event.objects.filter(target_type="payapp", target_id=pay_app.pk).order_by("id")
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": event.pk,
                "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
                "actor": _person(world.contact),
                "action": action,
                "changes": changes,
                "reason": "",
            }
            for event, (action, changes) in zip(
                events,
                [
                    ("pay_app_created", {"status": [None, "draft"]}),
                    (
                        "lines_updated",
                        {"line 1 work_completed_this_period": ["0.00", "10000.00"]},
                    ),
                    (
                        "submitted",
                        {
                            "status": ["draft", "under_review"],
                            "current_payment_due": [None, "9000.00"],
                        },
                    ),
                ],
                strict=True,
            )
        ],
    }


def test_a_line_review_of_an_unknown_line_is_named_by_its_place(world, api):
    # given
    pay_app = _submitted(world, "10000.00")
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{pay_app.pk}/review/",
        {
            "status": "approved",
            "version": pay_app.version,
            "lines": [{"id": 987654, "status": "approved"}],
        },
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"lines[0].id": ["No such line on this pay app."]}


# --- The OpenAPI document ------------------------------------------------------------------------

WRITE_ANSWERS = {"200", "400", "401", "403", "404", "409"}


@pytest.mark.parametrize(
    ("path", "method", "answers"),
    [
        ("/api/v1/billing-periods/{period_id}/invites/", "get", {"200", "401", "404"}),
        ("/api/v1/billing-periods/{period_id}/send-invites/", "post", WRITE_ANSWERS),
        ("/api/v1/invites/{invite_id}/accept/", "post", {"200", "400", "401", "403", "404"}),
        ("/api/v1/invites/{invite_id}/decline/", "post", {"200", "401", "403", "404"}),
        ("/api/v1/commitments/{commitment_id}/pay-apps/", "get", {"200", "400", "401", "404"}),
        (
            "/api/v1/commitments/{commitment_id}/pay-apps/",
            "post",
            WRITE_ANSWERS - {"200"} | {"201"},
        ),
        ("/api/v1/projects/{project_id}/pay-apps/", "get", {"200", "400", "401", "404"}),
        ("/api/v1/pay-apps/{pay_app_id}/", "get", {"200", "401", "404"}),
        ("/api/v1/pay-apps/{pay_app_id}/", "patch", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/", "delete", WRITE_ANSWERS - {"200"} | {"204"}),
        ("/api/v1/pay-apps/{pay_app_id}/lines/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/lines/{line_id}/", "patch", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/retainage/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/release-retainage/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/submit/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/review/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/status/", "post", WRITE_ANSWERS),
        ("/api/v1/pay-apps/{pay_app_id}/history/", "get", {"200", "400", "401", "404"}),
    ],
)
def test_each_billing_operation_documents_its_answers(schema, path, method, answers):
    assert set(schema["paths"][path][method]["responses"]) == answers


def test_the_documented_pay_app_has_exactly_the_api_names(schema):
    schemas = schema["components"]["schemas"]
    assert set(schemas["G702"]["properties"]) == G702_FIELDS | CHANGE_ORDER_SUMMARY_FIELDS
    assert set(schemas["PayAppLine"]["properties"]) == LINE_FIELDS | LINE_EXTRA_FIELDS
    assert schemas["PayAppStatusEnum"]["enum"] == [
        "draft",
        "under_review",
        "revise_and_resubmit",
        "approved",
        "approved_as_noted",
        "pending_owner_approval",
    ]
    assert schemas["PayAppLineUpdateRequest"]["required"] == ["version"]
