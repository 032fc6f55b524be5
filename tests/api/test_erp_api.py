"""The ERP export queue over the API: `/api/v1/projects/{id}/erp-exports/` and its `accept`,
`reject` and `file` (API.md). Project Admins only; every refusal changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.billing.models import PayApp
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport
from sitebill.erp.services import erp_accept, erp_send
from tests import factories
from tests.conftest import ROLES
from tests.erp.builders import approved_pay_app, draft_pay_app
from tests.erp.parsing import parse_iif, parse_sage300

D = Decimal


def exports_url(world):
    return f"/api/v1/projects/{world.project.pk}/erp-exports/"


def export_url(world, export, action=""):
    return f"{exports_url(world)}{export.pk}/{action + '/' if action else ''}"


def queued(world, *pay_apps, format="quickbooks_iif"):
    return erp_send(
        actor=world.admin, project=world.project, format=format, pay_apps=list(pay_apps)
    )


def test_an_admin_sends_pay_apps_and_reads_the_export(world, api):
    # given
    pay_app = approved_pay_app(world)
    # when
    response = api(world.admin).post(
        exports_url(world), {"format": "sage300_cre", "pay_apps": [pay_app.pk]}, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    export = ErpExport.objects.get()
    body = response.json()
    assert body == {
        "id": export.pk,
        "project": world.project.pk,
        "format": "sage300_cre",
        "status": "ready_to_export",
        "pay_apps": [pay_app.pk],
        "file_name": "",
        "reason": "",
        "created_by": {"id": world.admin.pk, "email": world.admin.email, "name": world.admin.name},
        "created_at": body["created_at"],
        "decided_by": None,
        "decided_at": None,
    }
    assert api(world.admin).get(export_url(world, export)).json() == body
    listed = api(world.admin).get(exports_url(world)).json()
    assert (listed["count"], listed["results"]) == (1, [body])
    assert api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json()["erp_status"] == (
        "ready_to_export"
    )


def test_sending_twice_is_a_conflict_unless_resent_on_purpose(world, api):
    # given
    pay_app = approved_pay_app(world)
    client = api(world.admin)
    body = {"format": "quickbooks_iif", "pay_apps": [pay_app.pk]}
    assert client.post(exports_url(world), body, format="json").status_code == 201
    # when
    again = client.post(exports_url(world), body, format="json")
    # then
    assert again.status_code == 409
    assert again.json()["code"] == "already_sent"
    assert list(again.json()["fields"]) == ["pay_apps"]
    assert ErpExport.objects.count() == 1
    # when re-sent on purpose
    resent = client.post(exports_url(world), {**body, "resend": True}, format="json")
    # then
    assert resent.status_code == 201
    assert ErpExport.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"format": "xero", "pay_apps": [1]}, 400, "format"),
        ({"format": "quickbooks_iif", "pay_apps": []}, 400, "pay_apps"),
        ({"format": "quickbooks_iif", "pay_apps": [999999]}, 400, "pay_apps"),
        ({"format": "quickbooks_iif", "pay_apps": ["x"]}, 400, "pay_apps[0]"),
        ({"format": "quickbooks_iif"}, 400, "pay_apps"),
    ],
)
def test_a_bad_send_is_refused_naming_the_field(world, api, body, status, field):
    approved_pay_app(world)
    response = api(world.admin).post(exports_url(world), body, format="json")
    assert response.status_code == status
    assert field in response.json()["fields"], response.json()
    assert not ErpExport.objects.exists()


def test_an_unapproved_pay_app_is_a_conflict(world, api):
    pay_app = draft_pay_app(world)
    body = {"format": "quickbooks_iif", "pay_apps": [pay_app.pk]}
    response = api(world.admin).post(exports_url(world), body, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_approved"
    assert PayApp.objects.get(pk=pay_app.pk).erp_status == ""


def test_accepting_produces_the_file(world, api):
    # given
    pay_app = approved_pay_app(world)
    export = queued(world, pay_app)
    # when
    response = api(world.admin).post(export_url(world, export, "accept"))
    # then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["decided_by"]["id"]) == ("exported", world.admin.pk)
    assert body["file_name"] == f"{world.project.number}-erp-export-{export.pk}.iif"
    # and the file is served as an attachment
    file = api(world.admin).get(export_url(world, export, "file"))
    assert file.status_code == 200
    assert file["Content-Type"] == "text/plain; charset=windows-1252"
    assert file["Content-Disposition"] == f'attachment; filename="{body["file_name"]}"'
    (bill,) = parse_iif(file.content.decode("cp1252"))
    assert bill.total == D("0.00")
    assert bill.trns["AMOUNT"] == "-13500.00"
    assert PayApp.objects.get(pk=pay_app.pk).erp_status == "exported"


def test_a_sage_file_is_csv(world, api):
    export = queued(world, approved_pay_app(world), format="sage300_cre")
    api(world.admin).post(export_url(world, export, "accept"))
    file = api(world.admin).get(export_url(world, export, "file"), HTTP_ACCEPT="text/csv")
    assert file.status_code == 200
    assert file["Content-Type"] == "text/csv; charset=windows-1252"
    (invoice,) = parse_sage300(file.content.decode("cp1252"))
    assert invoice.header[4] == "15000.00"  # 13,500.00 due + 1,500.00 retained


def test_accepting_twice_is_a_conflict(world, api):
    export = queued(world, approved_pay_app(world))
    assert api(world.admin).post(export_url(world, export, "accept")).status_code == 200
    again = api(world.admin).post(export_url(world, export, "accept"))
    assert again.status_code == 409
    assert again.json()["code"] == "already_decided"


def test_a_file_before_acceptance_is_not_found(world, api):
    export = queued(world, approved_pay_app(world))
    response = api(world.admin).get(export_url(world, export, "file"))
    assert response.status_code == 404
    assert response.json()["code"] == "no_file"


def test_rejecting_returns_the_pay_apps_to_revise_and_resubmit(world, api):
    # given
    pay_app = approved_pay_app(world)
    export = queued(world, pay_app)
    # when
    response = api(world.admin).post(
        export_url(world, export, "reject"), {"reason": "Wrong cost codes"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == (
        "rejected",
        "Wrong cost codes",
    )
    detail = api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json()
    assert (detail["status"], detail["erp_status"]) == ("revise_and_resubmit", "rejected")
    history = api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/history/").json()["results"]
    assert history[-1]["action"] == "status_corrected"
    assert history[-1]["reason"] == f"Rejected from ERP export {export.pk}: Wrong cost codes"


def test_a_rejection_without_a_reason_is_refused(world, api):
    export = queued(world, approved_pay_app(world))
    response = api(world.admin).post(
        export_url(world, export, "reject"), {"reason": " "}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["reason"]
    export.refresh_from_db()
    assert export.status == "ready_to_export"


def test_an_export_of_another_project_is_not_found(world, api):
    # given an export on another project the admin also administers
    other = factories.ProjectFactory(contractor=world.contractor)
    export = ErpExport.objects.create(
        project=other, format="quickbooks_iif", created_by=world.admin
    )
    # when / then: it is not found under this project
    for action in ("", "accept", "file"):
        call = api(world.admin).post if action == "accept" else api(world.admin).get
        assert call(export_url(world, export, action)).status_code == 404


# --- Who may call what ---------------------------------------------------------------------------

ADMIN_ONLY = {
    "admin": 200,
    "standard": 403,
    "read_only": 403,
    "contact": 403,
    "other_contact": 403,  # a contact sees the project (its own commitment), not the queue
    "stranger": 404,
    "anonymous": 401,
}


def _calls(world, pay_app, export, exported):
    """Every ERP endpoint: (method, url, body, the admin's success status)."""
    return [
        ("get", exports_url(world), None, 200),
        ("post", exports_url(world), {"format": "sage300_cre", "pay_apps": [pay_app.pk]}, 201),
        ("get", export_url(world, export), None, 200),
        ("post", export_url(world, export, "accept"), None, 200),
        ("post", export_url(world, export, "reject"), {"reason": "No"}, 200),
        ("get", export_url(world, exported, "file"), None, 200),
    ]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("call", range(6))
def test_who_may_call_each_erp_endpoint(world, api, role, call):
    # given a pay app to send, an export waiting and an exported one
    pay_app = approved_pay_app(world)
    export = queued(world, approved_pay_app(world, ("100.00",), contract=world.other_commitment))
    exported = ErpExport.objects.create(
        project=world.project, format="quickbooks_iif", created_by=world.admin
    )
    exported = erp_accept(actor=world.admin, export=exported)
    method, url, body, success = _calls(world, pay_app, export, exported)[call]
    events = Event.objects.count()
    exports = list(ErpExport.objects.order_by("pk").values_list("status", flat=True))
    # when
    client = api(world.role(role))
    response = (
        getattr(client, method)(url, body, format="json") if body else getattr(client, method)(url)
    )
    # then
    expected = success if role == "admin" else ADMIN_ONLY[role]
    assert response.status_code == expected
    if role != "admin":
        assert set(response.json()) == {"message", "code", "fields"}
        assert Event.objects.count() == events
        assert list(ErpExport.objects.order_by("pk").values_list("status", flat=True)) == exports
        assert PayApp.objects.get(pk=pay_app.pk).erp_status == ""
