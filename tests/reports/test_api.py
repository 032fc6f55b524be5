"""`GET /api/v1/projects/{id}/dashboard/`: the page's figures as JSON, money as strings."""

from __future__ import annotations

import pytest

from tests.reports.scene import build


def url(world) -> str:
    return f"/api/v1/projects/{world.project.pk}/dashboard/"


def test_the_dashboard_answers_every_figure_as_a_decimal_string(world, api):
    # given
    scene = build(world)
    # when
    response = api(world.admin).get(url(world))
    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["project"], body["currency"]) == (world.project.pk, "USD")
    assert body["commitments"][1] == {
        "contract": world.other_commitment.pk,
        "kind": "subcontract",
        "number": "SC-002",
        "title": "Electrical",
        "counterparty": "Bolt Electric",
        "status": "approved",
        "contract_value": "40000.00",
        "billed_to_date": "5000.00",
        "latest_pay_app": {"id": scene.sc2_second.pk, "number": 2, "status": "draft"},
        "approved_to_date": "4000.00",
        "latest_approved_pay_app": {"id": scene.sc2_first.pk, "number": 1, "status": "approved"},
        "retainage_held": "400.00",
        "paid": "0.00",
        "balance_to_finish": "35000.00",
    }
    assert body["commitments_total"] == {
        "contract_value": "145000.00",
        "billed_to_date": "32000.00",
        "approved_to_date": "31000.00",
        "retainage_held": "3100.00",
        "paid": "10000.00",
        "balance_to_finish": "113000.00",
    }
    assert [row["number"] for row in body["client_contracts"]] == ["PC-001"]
    assert body["client_contracts_total"]["paid"] == "18000.00"
    assert body["billed_by_period"] == [
        {
            "billing_period": world.period.pk,
            "number": 1,
            "start_date": "2026-11-01",
            "end_date": "2026-11-30",
            "commitments_billed_to_date": "19000.00",
            "client_billed_to_date": "20000.00",
        },
        {
            "billing_period": scene.period_2.pk,
            "number": 2,
            "start_date": "2026-12-01",
            "end_date": "2026-12-31",
            "commitments_billed_to_date": "31000.00",
            "client_billed_to_date": "20000.00",
        },
    ]


def test_a_contract_without_pay_apps_has_null_pay_apps(world, api):
    # when
    body = api(world.read_only).get(url(world)).json()
    # then
    row = body["commitments"][0]
    assert (row["latest_pay_app"], row["latest_approved_pay_app"], row["billed_to_date"]) == (
        None,
        None,
        "0.00",
    )
    assert body["billed_by_period"] == []


def test_a_private_commitment_is_left_out_for_a_read_only_member(world, api):
    # given
    build(world)
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    # when
    body = api(world.read_only).get(url(world)).json()
    # then
    assert [row["number"] for row in body["commitments"]] == ["SC-001"]
    assert body["commitments_total"]["contract_value"] == "105000.00"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("standard", 200),
        ("read_only", 200),
        ("contact", 404),
        ("other_contact", 404),
        ("stranger", 404),
        ("anonymous", 401),
    ],
)
def test_members_only(world, api, role, status):
    # when
    response = api(world.role(role)).get(url(world))
    # then
    assert response.status_code == status
    if status == 404:
        assert response.json() == {
            "message": "Project not found.",
            "code": "not_found",
            "fields": {},
        }


def test_the_operation_is_documented(db, api):
    # when
    schema = api(None).get("/api/schema/?format=json").json()
    # then
    operation = schema["paths"]["/api/v1/projects/{project_id}/dashboard/"]["get"]
    assert set(operation["responses"]) == {"200", "401", "404"}
    row = schema["components"]["schemas"]["DashboardRow"]["properties"]
    assert (row["paid"]["type"], row["paid"]["format"]) == ("string", "decimal")
