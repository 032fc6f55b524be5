"""MC/Client payment applications over the REST API (API.md, DOMAIN.md §5.5):
`POST/GET /api/v1/client-contracts/{id}/pay-apps/` and `GET /api/v1/client-pay-apps/{id}/`."""

from __future__ import annotations

import pytest

from sitebill.billing.models import PayApp, PayAppSource
from sitebill.billing.services.pay_apps import pay_app_set_status
from sitebill.core.models import Event
from tests.upstream.builders import client_contract, progress_billing, refreshed, scene

S = PayApp.Status


def create_url(contract) -> str:
    return f"/api/v1/client-contracts/{contract.pk}/pay-apps/"


def detail_url(pay_app) -> str:
    return f"/api/v1/client-pay-apps/{pay_app.pk if hasattr(pay_app, 'pk') else pay_app}/"


def counts():
    return (PayApp.objects.count(), PayAppSource.objects.count(), Event.objects.count())


def post(api, user, contract, **body):
    return api(user).post(
        create_url(contract), {"billing_period": body.pop("period", None), **body}, format="json"
    )


def by_code(body):
    return {line["cost_code"]: line for line in body["lines"]}


@pytest.fixture
def s(world):
    return scene(world)


# --------------------------------------------------------------------------------------------
# Create and read


def test_an_admin_creates_a_prefilled_client_pay_app(api, world, s):
    # when
    response = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True)
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft"
    assert body["client_contract"] == s["contract"].pk
    assert body["client_name"] == "Harbor Health"
    assert {
        code: (line["work_completed_this_period"], line["materials_presently_stored"])
        for code, line in by_code(body).items()
    } == {"03": ("18000.00", "2000.00"), "03-4": ("4000.00", "0.00"), "26": ("7000.00", "0.00")}
    assert body["g702"]["total_completed_and_stored_to_date"] == "31000.00"
    assert [
        (source["commitment_number"], source["version_used"], source["changed"])
        for source in body["sources"]
    ] == [
        ("SC-001", refreshed(s["sc1"]).version, False),
        ("SC-002", refreshed(s["sc2"]).version, False),
        ("SC-003", refreshed(s["sc3"]).version, False),
    ]
    assert body["sources"][0] == {
        "pay_app": s["sc1"].pk,
        "pay_app_number": 1,
        "commitment": world.commitment.pk,
        "commitment_number": "SC-001",
        "vendor": world.vendor.pk,
        "vendor_name": "Acme Concrete",
        "status": "approved",
        "version_used": refreshed(s["sc1"]).version,
        "current_version": refreshed(s["sc1"]).version,
        "changed": False,
        "private": False,
    }
    assert [
        (row["commitment_number"], row["cost_code"], row["work_completed_this_period"])
        for row in body["unmatched"]
    ] == [("SC-003", "31-200", "1500.00")]
    division = body["line_sources"][0]
    assert (division["cost_code"], division["work_completed_this_period"]) == ("03", "18000.00")
    assert [(row["commitment_number"], row["cost_code"]) for row in division["sources"]] == [
        ("SC-001", "03-300"),
        ("SC-001", "03-350"),
        ("SC-002", "03-300"),
    ]


def test_without_prefill_the_client_pay_app_has_no_sources(api, world, s):
    # when
    response = post(api, world.standard, s["contract"], period=world.period.pk)
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["sources"] == []
    assert body["unmatched"] == []
    assert {line["work_completed_this_period"] for line in body["lines"]} == {"0.00"}


def test_the_client_contract_lists_its_pay_apps(api, world, s):
    # given
    pay_app = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True).json()
    # when
    response = api(world.read_only).get(create_url(s["contract"]))
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert (row["id"], row["number"], row["status"], row["client_contract"]) == (
        pay_app["id"],
        1,
        "draft",
        s["contract"].pk,
    )
    assert row["work_completed_this_period"] == "29000.00"


def test_a_source_changed_after_the_prefill_is_flagged(api, world, s):
    # given
    created = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True).json()
    sc2 = refreshed(s["sc2"])
    # when an admin corrects SC-002's status
    pay_app_set_status(
        actor=world.admin, pay_app=sc2, version=sc2.version, status=S.APPROVED, reason="Noted."
    )
    response = api(world.read_only).get(detail_url(created["id"]))
    # then
    assert response.status_code == 200
    assert [
        (row["commitment_number"], row["version_used"], row["current_version"], row["changed"])
        for row in response.json()["sources"]
    ] == [
        ("SC-001", refreshed(s["sc1"]).version, refreshed(s["sc1"]).version, False),
        ("SC-002", sc2.version, sc2.version + 1, True),
        ("SC-003", refreshed(s["sc3"]).version, refreshed(s["sc3"]).version, False),
    ]


def test_a_source_on_a_private_commitment_is_shown_without_naming_it(api, world, s):
    # given SC-002 is private and the standard user is not on its list
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    created = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True).json()
    # when
    body = api(world.standard).get(detail_url(created["id"])).json()
    # then
    private = body["sources"][1]
    assert private | {"version_used": 0, "current_version": 0} == {
        "pay_app": None,
        "pay_app_number": None,
        "commitment": None,
        "commitment_number": "",
        "vendor": None,
        "vendor_name": "",
        "status": None,
        "version_used": 0,
        "current_version": 0,
        "changed": False,
        "private": True,
    }
    division = body["line_sources"][0]["sources"]
    assert [(row["private"], row["work_completed_this_period"]) for row in division] == [
        (False, "10000.00"),
        (False, "3000.00"),
        (True, "5000.00"),
    ]
    # and the admin sees it
    admin_body = api(world.admin).get(detail_url(created["id"])).json()
    assert admin_body["sources"][1]["commitment_number"] == "SC-002"


def test_include_retainage_is_carried_and_the_invoice_type_says_so(api, world, s):
    # when
    response = post(
        api,
        world.admin,
        s["contract"],
        period=world.period.pk,
        prefill=True,
        include_retainage=True,
    )
    # then
    assert response.status_code == 201
    body = response.json()
    assert body["invoice_type"] == "work_materials_and_retainage"
    assert by_code(body)["03"]["retainage_work_percent"] == "10.00"
    assert by_code(body)["03"]["retainage_held"] == "2000.00"


# --------------------------------------------------------------------------------------------
# Workflow through the pay app endpoints


def test_the_client_pay_app_is_submitted_and_approved_with_the_pay_app_endpoints(api, world, s):
    # given
    created = post(api, world.standard, s["contract"], period=world.period.pk, prefill=True).json()
    # when
    submitted = api(world.standard).post(
        f"/api/v1/pay-apps/{created['id']}/submit/", {"version": created["version"]}, format="json"
    )
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "under_review"
    reviewed = api(world.admin).post(
        f"/api/v1/pay-apps/{created['id']}/review/",
        {"status": "approved", "version": submitted.json()["version"]},
        format="json",
    )
    # then
    assert reviewed.status_code == 200
    assert api(world.admin).get(detail_url(created["id"])).json()["status"] == "approved"


# --------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("read_only", 403),
        ("contact", 404),
        ("other_contact", 404),
        ("stranger", 404),
        ("anonymous", 401),
    ],
)
def test_only_admin_and_standard_users_create_client_pay_apps(api, world, s, role, code):
    # given
    before = counts()
    # when
    response = post(api, world.role(role), s["contract"], period=world.period.pk, prefill=True)
    # then
    assert response.status_code == code
    assert counts() == before


@pytest.mark.parametrize(
    ("role", "code"), [("contact", 404), ("stranger", 404), ("anonymous", 401)]
)
def test_contacts_never_see_client_pay_apps(api, world, s, role, code):
    # given
    created = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True).json()
    # when / then
    assert api(world.role(role)).get(detail_url(created["id"])).status_code == code
    assert api(world.role(role)).get(create_url(s["contract"])).status_code == code
    assert api(world.role(role)).get(f"/api/v1/pay-apps/{created['id']}/").status_code == code


def test_a_commitment_and_its_pay_apps_are_not_found_under_the_client_paths(api, world, s):
    assert api(world.admin).get(create_url(world.commitment)).status_code == 404
    assert post(api, world.admin, world.commitment, period=world.period.pk).status_code == 404
    assert api(world.admin).get(detail_url(s["sc1"])).status_code == 404


def test_bad_input_is_named_and_nothing_is_saved(api, world, s):
    # given
    before = counts()
    # when
    missing = post(api, world.admin, s["contract"], period=None)
    other = post(api, world.admin, s["contract"], period=999999)
    retainage = post(
        api, world.admin, s["contract"], period=world.period.pk, include_retainage=True
    )
    # then
    assert missing.status_code == 400
    assert "billing_period" in missing.json()["fields"]
    assert other.status_code == 400
    assert other.json()["fields"] == {"billing_period": ["No such billing period on this project."]}
    assert retainage.status_code == 400
    assert retainage.json()["fields"] == {
        "include_retainage": ["Only with a prefill from progress billings."]
    }
    assert counts() == before


def test_a_prefill_the_project_does_not_allow_is_refused_naming_the_lines(api, world):
    # given
    world.project.overbilling = "block"
    world.project.save(update_fields=["overbilling"])
    contract = client_contract(
        world,
        lines=[
            {
                "item_number": "1",
                "description": "Finishes",
                "cost_code": "03-4",
                "scheduled_value": "4000.00",
            }
        ],
    )
    progress_billing(world, world.commitment, {"03-400": ("4001.00", "0.00")})
    before = counts()
    # when
    response = post(api, world.admin, contract, period=world.period.pk, prefill=True)
    # then
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "overbilling"
    assert list(body["fields"]) == ["prefill"]
    assert body["fields"]["prefill"][0].startswith("Line 1: total completed and stored (4001.00)")
    assert counts() == before


def test_a_second_client_pay_app_for_the_period_is_a_conflict(api, world, s):
    # given
    post(api, world.admin, s["contract"], period=world.period.pk, prefill=True)
    before = counts()
    # when
    response = post(api, world.admin, s["contract"], period=world.period.pk, prefill=True)
    # then
    assert response.status_code == 409
    assert counts() == before
