"""Setting a project up over the REST API: companies, users, projects, members, commitments,
change orders, client contracts and billing periods (API.md, DOMAIN.md §4).

Every write is tried by every role of the `world` fixture: a role that may not see the object
gets 404, one that sees it but may not act gets 403, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.billing.models import BillingPeriod
from sitebill.contracts.models import ChangeOrder, Contract
from sitebill.core.models import Event
from tests import factories

# --- Helpers -------------------------------------------------------------------------------------


def _snapshot():
    """Everything a refused setup write could have touched."""
    return {
        "companies": sorted(Company.objects.values_list("pk", "name", "kind")),
        "users": sorted(User.objects.values_list("pk", "email", "name", "company_id")),
        "projects": sorted(
            Project.objects.values_list(
                "pk",
                "name",
                "number",
                "overbilling",
                "rounding",
                "move_stored_to_previous",
                "invite_message",
                "reminder_days_before_due",
                "period_frequency",
                "due_days_after_period_end",
            )
        ),
        "memberships": sorted(
            Membership.objects.values_list("user_id", "project_id", "permission")
        ),
        "contracts": sorted(Contract.objects.values_list("pk", "number", "status")),
        "contacts": sorted(Contract.contacts.through.objects.values_list("contract_id", "user_id")),
        "change_orders": sorted(ChangeOrder.objects.values_list("pk", "number", "status")),
        "periods": sorted(BillingPeriod.objects.values_list("pk", "number", "status")),
        "events": Event.objects.count(),
    }


def _person(user):
    return {"id": user.pk, "email": user.email, "name": user.name}


def _commitment_lines(contract):
    return [
        {
            "id": line.pk,
            "item_number": line.item_number,
            "description": line.description,
            "cost_code": line.cost_code,
            "scheduled_value": f"{line.scheduled_value:.2f}",
            "quantity": None,
            "unit": "",
            "unit_price": None,
        }
        for line in contract.lines.order_by("position", "pk")
    ]


def _refusal(status, code_message):
    code, message = code_message
    return status, {"message": message, "code": code, "fields": {}}


NOT_FOUND_PROJECT = ("not_found", "Project not found.")
NOT_FOUND_CONTRACT = ("not_found", "Contract not found.")
NEED_ADMIN = ("permission_denied", "You need Admin permission on this project.")
NEED_ADMIN_CONTRACT = ("permission_denied", "You need Admin permission for this.")


@pytest.fixture
def company_admin(world):
    """A contractor user with the company's admin flag: creates companies, users, projects."""
    return factories.UserFactory(
        email="owner@summit.example",
        name="Olive Owner",
        company=world.contractor,
        is_company_admin=True,
    )


@pytest.fixture
def client_company(world):
    return factories.CompanyFactory(name="Harbor Health", kind=Company.Kind.CLIENT)


# --- Companies -----------------------------------------------------------------------------------


def test_a_company_administrator_creates_a_vendor(world, api, company_admin):
    # when
    response = api(company_admin).post(
        "/api/v1/companies/", {"name": "Delta Drywall", "kind": "vendor"}, format="json"
    )
    # then
    assert response.status_code == 201
    company = Company.objects.get(name="Delta Drywall")
    assert response.json() == {"id": company.pk, "name": "Delta Drywall", "kind": "vendor"}


def test_a_company_administrator_lists_every_company_by_name(world, api, company_admin):
    # when
    response = api(company_admin).get("/api/v1/companies/")
    # then
    assert response.status_code == 200
    companies = Company.objects.order_by("name", "pk")
    assert response.json() == {
        "count": companies.count(),
        "next": None,
        "previous": None,
        "results": [{"id": c.pk, "name": c.name, "kind": c.kind} for c in companies],
    }


def test_a_contact_sees_only_its_own_company_and_the_projects_contractor(world, api):
    # when
    response = api(world.contact).get("/api/v1/companies/")
    # then
    assert response.json()["results"] == [
        {"id": world.vendor.pk, "name": "Acme Concrete", "kind": "vendor"},
        {"id": world.contractor.pk, "name": "Summit Builders", "kind": "contractor"},
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 403),
        ("standard", 403),
        ("read_only", 403),
        ("contact", 403),
        ("other_contact", 403),
        ("stranger", 403),
        ("anonymous", 401),
    ],
)
def test_only_a_company_administrator_creates_companies(world, api, role, status):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        "/api/v1/companies/", {"name": "Delta Drywall", "kind": "vendor"}, format="json"
    )
    # then
    assert response.status_code == status
    if status == 403:
        assert response.json() == {
            "message": "Only a company administrator may create companies.",
            "code": "permission_denied",
            "fields": {},
        }
    assert _snapshot() == before


def test_a_company_needs_a_known_kind(world, api, company_admin):
    # given
    before = _snapshot()
    # when
    response = api(company_admin).post(
        "/api/v1/companies/", {"name": "Delta Drywall", "kind": "supplier"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": 'kind: "supplier" is not a valid choice.',
        "code": "invalid",
        "fields": {"kind": ['"supplier" is not a valid choice.']},
    }
    assert _snapshot() == before


# --- Users ---------------------------------------------------------------------------------------


def test_a_company_administrator_creates_a_user_who_can_then_log_in(world, api, company_admin):
    # when
    response = api(company_admin).post(
        "/api/v1/users/",
        {
            "email": "New.Person@Summit.example",
            "name": "Nia Person",
            "company": world.contractor.pk,
            "password": "s3cure-Passw0rd",
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    user = User.objects.get(email="new.person@summit.example")
    assert response.json() == {
        "id": user.pk,
        "email": "new.person@summit.example",
        "name": "Nia Person",
        "company": world.contractor.pk,
        "is_company_admin": False,
    }
    login = api(None).post(
        "/api/v1/auth/token/",
        {"email": "new.person@summit.example", "password": "s3cure-Passw0rd"},
        format="json",
    )
    assert login.status_code == 200


def test_a_project_admin_creates_a_vendor_user(world, api):
    # when
    response = api(world.admin).post(
        "/api/v1/users/",
        {"email": "pm@acme.example", "name": "Pat Manager", "company": world.vendor.pk},
        format="json",
    )
    # then
    assert response.status_code == 201
    assert response.json()["company"] == world.vendor.pk
    assert User.objects.filter(email="pm@acme.example").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("standard", 403),
        ("read_only", 403),
        ("contact", 403),
        ("other_contact", 403),
        ("stranger", 403),
        ("anonymous", 401),
    ],
)
def test_only_administrators_create_users(world, api, role, status):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        "/api/v1/users/",
        {"email": "pm@acme.example", "name": "Pat Manager", "company": world.vendor.pk},
        format="json",
    )
    # then
    assert response.status_code == status
    if status == 403:
        assert response.json() == {
            "message": "Only a company administrator or a project Admin may create users.",
            "code": "permission_denied",
            "fields": {},
        }
    assert _snapshot() == before


def test_a_project_admin_cannot_make_a_company_administrator(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        "/api/v1/users/",
        {"email": "boss@summit.example", "company": world.contractor.pk, "is_company_admin": True},
        format="json",
    )
    # then
    assert response.status_code == 403
    assert _snapshot() == before


def test_a_duplicate_email_is_named(world, api, company_admin):
    # given
    before = _snapshot()
    # when
    response = api(company_admin).post(
        "/api/v1/users/",
        {"email": "ADMIN@summit.example", "company": world.contractor.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": "A user with this email already exists.",
        "code": "invalid",
        "fields": {"email": ["A user with this email already exists."]},
    }
    assert _snapshot() == before


def test_a_contact_sees_only_the_users_of_its_own_company(world, api):
    # when
    response = api(world.contact).get("/api/v1/users/")
    # then
    assert response.json() == {
        "count": 1,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": world.contact.pk,
                "email": "billing@acme.example",
                "name": world.contact.name,
                "company": world.vendor.pk,
                "is_company_admin": False,
            }
        ],
    }


def test_a_project_admin_sees_every_user_by_email(world, api):
    # when
    response = api(world.admin).get("/api/v1/users/")
    # then
    emails = [row["email"] for row in response.json()["results"]]
    assert emails == sorted(User.objects.values_list("email", flat=True))


# --- Projects ------------------------------------------------------------------------------------


def test_a_company_administrator_creates_a_project_and_becomes_its_admin(
    world, api, company_admin, client_company
):
    # when
    response = api(company_admin).post(
        "/api/v1/projects/",
        {
            "name": "Harbor Tower",
            "number": "HT-100",
            "address": "1 Harbor Way",
            "contractor": world.contractor.pk,
            "client": client_company.pk,
            "currency": "CAD",
            "settings": {"overbilling": "block", "rounding": "half_even"},
        },
        format="json",
    )
    # then
    assert response.status_code == 201
    project = Project.objects.get(number="HT-100")
    assert response.json() == {
        "id": project.pk,
        "name": "Harbor Tower",
        "number": "HT-100",
        "address": "1 Harbor Way",
        "contractor": world.contractor.pk,
        "client": client_company.pk,
        "currency": "CAD",
        "settings": {
            "overbilling": "block",
            "rounding": "half_even",
            "move_stored_to_previous": False,
            "invite_message": "",
            "reminder_days_before_due": None,
            "period_frequency": "manual",
            "due_days_after_period_end": 5,
        },
    }
    members = api(company_admin).get(f"/api/v1/projects/{project.pk}/members/").json()
    assert [(m["user"]["email"], m["permission"]) for m in members["results"]] == [
        ("owner@summit.example", "admin")
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 403),
        ("standard", 403),
        ("read_only", 403),
        ("contact", 403),
        ("other_contact", 403),
        ("stranger", 403),
        ("anonymous", 401),
    ],
)
def test_only_a_company_administrator_creates_projects(world, api, role, status):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        "/api/v1/projects/",
        {"name": "Harbor Tower", "number": "HT-100", "contractor": world.contractor.pk},
        format="json",
    )
    # then
    assert response.status_code == status
    assert _snapshot() == before


def test_a_project_needs_a_contractor_company(world, api, company_admin):
    # given
    before = _snapshot()
    # when
    response = api(company_admin).post(
        "/api/v1/projects/",
        {"name": "Harbor Tower", "number": "HT-100", "contractor": world.vendor.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": "Choose a contractor company.",
        "code": "invalid",
        "fields": {"contractor": ["Choose a contractor company."]},
    }
    assert _snapshot() == before


def _project_json(project):
    return {
        "id": project.pk,
        "name": "Riverside Clinic",
        "number": project.number,
        "address": "",
        "contractor": project.contractor_id,
        "client": None,
        "currency": "USD",
        "settings": {
            "overbilling": "warn",
            "rounding": "half_up",
            "move_stored_to_previous": False,
            "invite_message": "",
            "reminder_days_before_due": None,
            "period_frequency": "manual",
            "due_days_after_period_end": 5,
        },
    }


@pytest.mark.parametrize(
    ("role", "sees_it"),
    [
        ("admin", True),
        ("standard", True),
        ("read_only", True),
        ("contact", True),
        ("other_contact", True),
        ("stranger", False),
    ],
)
def test_each_role_lists_the_projects_it_belongs_to(world, api, role, sees_it):
    # when
    response = api(world.role(role)).get("/api/v1/projects/")
    # then
    assert response.status_code == 200
    expected = [_project_json(world.project)] if sees_it else []
    assert response.json() == {
        "count": len(expected),
        "next": None,
        "previous": None,
        "results": expected,
    }


def test_a_member_reads_the_project(world, api):
    response = api(world.read_only).get(f"/api/v1/projects/{world.project.pk}/")
    assert response.status_code == 200
    assert response.json() == _project_json(world.project)


@pytest.mark.parametrize("project_id", ["own", 999999])
def test_a_stranger_is_told_a_project_does_not_exist(world, api, project_id):
    # given
    pk = world.project.pk if project_id == "own" else project_id
    # when
    response = api(world.stranger).get(f"/api/v1/projects/{pk}/")
    # then
    assert (response.status_code, response.json()) == _refusal(404, NOT_FOUND_PROJECT)


def test_a_project_admin_changes_some_settings(world, api):
    # when
    response = api(world.admin).patch(
        f"/api/v1/projects/{world.project.pk}/settings/",
        {"overbilling": "block", "reminder_days_before_due": 3},
        format="json",
    )
    # then
    assert response.status_code == 200
    expected = _project_json(world.project)
    expected["settings"] |= {"overbilling": "block", "reminder_days_before_due": 3}
    assert response.json() == expected
    world.project.refresh_from_db()
    assert (world.project.overbilling, world.project.rounding) == ("block", "half_up")
    event = Event.objects.get(action="project_settings_updated")
    assert event.changes == {
        "overbilling": ["warn", "block"],
        "reminder_days_before_due": [None, 3],
    }


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN)),
        ("read_only", (403, NEED_ADMIN)),
        ("contact", (403, NEED_ADMIN)),
        ("other_contact", (403, NEED_ADMIN)),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_only_a_project_admin_changes_settings(world, api, role, refusal):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).patch(
        f"/api/v1/projects/{world.project.pk}/settings/", {"overbilling": "block"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


# --- Members -------------------------------------------------------------------------------------


def test_the_members_are_listed_by_email(world, api):
    # when
    response = api(world.standard).get(f"/api/v1/projects/{world.project.pk}/members/")
    # then
    assert response.status_code == 200
    memberships = {m.user_id: m for m in Membership.objects.filter(project=world.project)}
    assert response.json()["results"] == [
        {"id": memberships[user.pk].pk, "user": _person(user), "permission": permission}
        for user, permission in [
            (world.admin, "admin"),
            (world.read_only, "read_only"),
            (world.standard, "standard"),
        ]
    ]


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("contact", (403, ("permission_denied", "You need Read Only permission on this project."))),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_contacts_and_strangers_do_not_see_the_members(world, api, role, refusal):
    response = api(world.role(role)).get(f"/api/v1/projects/{world.project.pk}/members/")
    assert (response.status_code, response.json()) == _refusal(*refusal)


def test_a_project_admin_adds_a_member(world, api):
    # given
    newcomer = factories.UserFactory(email="new@summit.example", company=world.contractor)
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/members/",
        {"user": newcomer.pk, "permission": "standard"},
        format="json",
    )
    # then
    assert response.status_code == 201
    membership = Membership.objects.get(user=newcomer, project=world.project)
    assert membership.permission == "standard"
    assert response.json() == {
        "id": membership.pk,
        "user": _person(newcomer),
        "permission": "standard",
    }


def test_a_project_admin_raises_a_members_permission(world, api):
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/members/",
        {"user": world.read_only.pk, "permission": "admin"},
        format="json",
    )
    # then
    assert response.status_code == 201
    assert response.json()["permission"] == "admin"
    assert Membership.objects.get(user=world.read_only).permission == "admin"


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN)),
        ("read_only", (403, NEED_ADMIN)),
        ("contact", (403, NEED_ADMIN)),
        ("other_contact", (403, NEED_ADMIN)),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_only_a_project_admin_sets_members(world, api, role, refusal):
    # given
    before = _snapshot()
    # when: each tries to make themselves Admin
    actor = world.role(role)
    response = api(actor).post(
        f"/api/v1/projects/{world.project.pk}/members/",
        {"user": actor.pk, "permission": "admin"},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


def test_a_vendors_user_cannot_be_a_member(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/members/",
        {"user": world.contact.pk, "permission": "read_only"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["user"]
    assert _snapshot() == before


# --- Commitments ---------------------------------------------------------------------------------

NEW_COMMITMENT = {
    "kind": "purchase_order",
    "number": "PO-007",
    "title": "Rebar supply",
    "status": "approved",
    "executed": True,
    "retainage_work_percent": "10",
    "retainage_stored_percent": "5.5",
    "retainage_rules": [
        {"rate": "10", "until": "percent_complete", "limit": "50"},
        {"rate": "5", "until": "amount_held", "limit": "20000"},
    ],
    "stored_materials_enabled": False,
    "lines": [
        {
            "item_number": "1",
            "description": "Rebar #4",
            "cost_code": "03-200",
            "scheduled_value": "12500.5",
        },
        {"item_number": "2", "description": "Rebar #5", "scheduled_value": "7499.50"},
    ],
}


def test_a_project_admin_creates_a_commitment_with_its_sov(world, api):
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk},
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    contract = Contract.objects.get(number="PO-007")
    first, second = contract.lines.order_by("position")
    assert response.json() == {
        "id": contract.pk,
        "project": world.project.pk,
        "kind": "purchase_order",
        "number": "PO-007",
        "title": "Rebar supply",
        "vendor": world.vendor.pk,
        "status": "approved",
        "executed": True,
        "private": False,
        "description": "",
        "retainage_work_percent": "10.00",
        "retainage_stored_percent": "5.50",
        "retainage_rules": [
            {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
            {"rate": "5.00", "until": "amount_held", "limit": "20000.00"},
        ],
        "stored_materials_enabled": False,
        "accounting_method": "amount",
        "contract_value": "20000.00",
        "lines": [
            {
                "id": first.pk,
                "item_number": "1",
                "description": "Rebar #4",
                "cost_code": "03-200",
                "scheduled_value": "12500.50",
                "quantity": None,
                "unit": "",
                "unit_price": None,
            },
            {
                "id": second.pk,
                "item_number": "2",
                "description": "Rebar #5",
                "cost_code": "",
                "scheduled_value": "7499.50",
                "quantity": None,
                "unit": "",
                "unit_price": None,
            },
        ],
        "change_orders": [],
        "contacts": [],
    }
    assert first.scheduled_value == Decimal("12500.50")
    assert Event.objects.filter(action="contract_created", target_id=contract.pk).count() == 1


def test_a_unit_based_commitment_values_its_lines_from_quantity_and_price(world, api):
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        {
            "kind": "subcontract",
            "number": "SC-010",
            "title": "Paving",
            "vendor": world.vendor.pk,
            "accounting_method": "unit",
            "lines": [
                {
                    "item_number": "1",
                    "description": "Asphalt",
                    "quantity": "120.5",
                    "unit": "t",
                    "unit_price": "85.25",
                }
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    (line,) = response.json()["lines"]
    assert line | {"id": None} == {
        "id": None,
        "item_number": "1",
        "description": "Asphalt",
        "cost_code": "",
        "scheduled_value": "10272.63",
        "quantity": "120.50",
        "unit": "t",
        "unit_price": "85.25",
    }
    assert response.json()["contract_value"] == "10272.63"


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN)),
        ("read_only", (403, NEED_ADMIN)),
        ("contact", (403, NEED_ADMIN)),
        ("other_contact", (403, NEED_ADMIN)),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_only_a_project_admin_creates_commitments(world, api, role, refusal):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


def test_a_commitments_vendor_must_be_a_vendor_company(world, api, client_company):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": client_company.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": "Choose a vendor company: a commitment needs a vendor company.",
        "code": "invalid",
        "fields": {"vendor": ["Choose a vendor company: a commitment needs a vendor company."]},
    }
    assert _snapshot() == before


def test_a_duplicate_commitment_number_is_named(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk, "number": "SC-001"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "number": ["Contract number SC-001 is already used in this project."]
    }
    assert _snapshot() == before


def test_a_commitment_cannot_be_a_client_contract(world, api):
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk, "kind": "client"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["kind"]


def test_more_than_five_retainage_rules_are_refused(world, api):
    # given
    rule = {"rate": "10", "until": "percent_complete", "limit": "50"}
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk, "retainage_rules": [rule] * 6},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "retainage_rules": ["At most 5 retainage rules are allowed."]
    }
    assert _snapshot() == before


def _commitment_json(world, contract, contract_value):
    return {
        "id": contract.pk,
        "project": world.project.pk,
        "kind": "subcontract",
        "number": contract.number,
        "title": contract.title,
        "vendor": contract.counterparty_id,
        "status": "approved",
        "executed": True,
        "private": False,
        "description": "",
        "retainage_work_percent": "10.00",
        "retainage_stored_percent": "10.00",
        "retainage_rules": [],
        "stored_materials_enabled": True,
        "accounting_method": "amount",
        "contract_value": contract_value,
        "lines": _commitment_lines(contract),
    }


def test_a_project_admin_lists_every_commitment_with_its_lines_and_value(world, api):
    # given: an approved change order counts, a draft one does not
    approved = factories.ChangeOrderFactory(contract=world.commitment, number="001")
    factories.ChangeOrderLineFactory(change_order=approved, amount=Decimal("1500.25"))
    draft = factories.ChangeOrderFactory(
        contract=world.commitment, number="002", status=ChangeOrder.Status.DRAFT
    )
    factories.ChangeOrderLineFactory(change_order=draft, amount=Decimal("9999.00"))
    # when
    response = api(world.admin).get(f"/api/v1/projects/{world.project.pk}/commitments/")
    # then
    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            _commitment_json(world, world.commitment, "101500.25"),
            _commitment_json(world, world.other_commitment, "40000.00"),
        ],
    }


@pytest.mark.parametrize(
    ("role", "numbers"),
    [
        ("admin", ["SC-001", "SC-002"]),
        ("standard", ["SC-001", "SC-002"]),
        ("read_only", ["SC-001", "SC-002"]),
        ("contact", ["SC-001"]),
        ("other_contact", ["SC-002"]),
    ],
)
def test_each_role_lists_the_commitments_it_may_see(world, api, role, numbers):
    response = api(world.role(role)).get(f"/api/v1/projects/{world.project.pk}/commitments/")
    assert [row["number"] for row in response.json()["results"]] == numbers


def test_a_private_commitment_is_listed_only_for_admins_and_its_private_list(world, api):
    # given
    world.commitment.private = True
    world.commitment.save(update_fields=["private"])
    url = f"/api/v1/projects/{world.project.pk}/commitments/"
    # then
    assert [r["number"] for r in api(world.read_only).get(url).json()["results"]] == ["SC-002"]
    assert [r["number"] for r in api(world.standard).get(url).json()["results"]] == ["SC-002"]
    assert [r["number"] for r in api(world.admin).get(url).json()["results"]] == [
        "SC-001",
        "SC-002",
    ]


def test_a_commitment_shows_its_change_orders_and_contacts(world, api):
    # given
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, number="001", title="Extra footing"
    )
    co_line = factories.ChangeOrderLineFactory(
        change_order=change_order,
        item_number="CO1-1",
        description="Footing F9",
        cost_code="03-300",
        amount=Decimal("-250.00"),
    )
    # when
    response = api(world.contact).get(f"/api/v1/commitments/{world.commitment.pk}/")
    # then
    assert response.status_code == 200
    assert response.json() == _commitment_json(world, world.commitment, "99750.00") | {
        "change_orders": [
            {
                "id": change_order.pk,
                "number": "001",
                "title": "Extra footing",
                "status": "approved",
                "lines": [
                    {
                        "id": co_line.pk,
                        "item_number": "CO1-1",
                        "description": "Footing F9",
                        "cost_code": "03-300",
                        "amount": "-250.00",
                    }
                ],
            }
        ],
        "contacts": [_person(world.contact)],
    }


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("standard", 200),
        ("read_only", 200),
        ("contact", 200),
        ("other_contact", 404),
        ("stranger", 404),
    ],
)
def test_each_role_reads_a_commitment_or_is_told_it_does_not_exist(world, api, role, status):
    response = api(world.role(role)).get(f"/api/v1/commitments/{world.commitment.pk}/")
    assert response.status_code == status
    if status == 404:
        assert response.json() == {
            "message": "Contract not found.",
            "code": "not_found",
            "fields": {},
        }


def test_a_client_contract_is_not_a_commitment(world, api, client_company):
    # given
    client_contract = factories.ContractFactory(
        project=world.project, kind=Contract.Kind.CLIENT, number="PC-1", counterparty=client_company
    )
    # when
    response = api(world.admin).get(f"/api/v1/commitments/{client_contract.pk}/")
    # then
    assert (response.status_code, response.json()) == _refusal(
        404, ("not_found", "Commitment not found.")
    )


# --- Payment application contacts ----------------------------------------------------------------


def test_a_project_admin_names_a_vendor_user_as_contact(world, api):
    # given
    billing_clerk = factories.UserFactory(email="clerk@acme.example", company=world.vendor)
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/contacts/",
        {"user": billing_clerk.pk},
        format="json",
    )
    # then
    assert response.status_code == 201
    assert response.json() == _person(billing_clerk)
    assert set(world.commitment.contacts.all()) == {world.contact, billing_clerk}
    # and the new contact now sees that commitment, and only it
    listed = api(billing_clerk).get(f"/api/v1/projects/{world.project.pk}/commitments/")
    assert [row["number"] for row in listed.json()["results"]] == ["SC-001"]


def test_a_contact_must_work_for_the_vendor(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/contacts/",
        {"user": world.other_contact.pk},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": "A payment application contact must be a user of Acme Concrete.",
        "code": "invalid",
        "fields": {"user": ["A payment application contact must be a user of Acme Concrete."]},
    }
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN_CONTRACT)),
        ("read_only", (403, NEED_ADMIN_CONTRACT)),
        ("contact", (403, NEED_ADMIN_CONTRACT)),
        ("other_contact", (404, NOT_FOUND_CONTRACT)),
        ("stranger", (404, NOT_FOUND_CONTRACT)),
    ],
)
def test_only_a_project_admin_names_contacts(world, api, role, refusal):
    # given
    billing_clerk = factories.UserFactory(email="clerk@acme.example", company=world.vendor)
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/commitments/{world.commitment.pk}/contacts/",
        {"user": billing_clerk.pk},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


# --- Change orders -------------------------------------------------------------------------------

NEW_CHANGE_ORDER = {
    "number": "003",
    "title": "Added slab",
    "status": "pending",
    "lines": [
        {"item_number": "CO3-1", "description": "Slab S4", "cost_code": "03-300", "amount": "4200"},
        {"item_number": "CO3-2", "description": "Credit: no topping", "amount": "-1200.50"},
    ],
}


def test_a_project_admin_adds_a_change_order(world, api):
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/change-orders/", NEW_CHANGE_ORDER, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    change_order = ChangeOrder.objects.get(contract=world.commitment, number="003")
    first, second = change_order.lines.order_by("pk")
    assert response.json() == {
        "id": change_order.pk,
        "number": "003",
        "title": "Added slab",
        "status": "pending",
        "lines": [
            {
                "id": first.pk,
                "item_number": "CO3-1",
                "description": "Slab S4",
                "cost_code": "03-300",
                "amount": "4200.00",
            },
            {
                "id": second.pk,
                "item_number": "CO3-2",
                "description": "Credit: no topping",
                "cost_code": "",
                "amount": "-1200.50",
            },
        ],
    }
    # a pending change order does not change the contract value
    detail = api(world.admin).get(f"/api/v1/commitments/{world.commitment.pk}/").json()
    assert detail["contract_value"] == "100000.00"


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN_CONTRACT)),
        ("read_only", (403, NEED_ADMIN_CONTRACT)),
        ("contact", (403, NEED_ADMIN_CONTRACT)),
        ("other_contact", (404, NOT_FOUND_CONTRACT)),
        ("stranger", (404, NOT_FOUND_CONTRACT)),
    ],
)
def test_only_a_project_admin_adds_change_orders(world, api, role, refusal):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/commitments/{world.commitment.pk}/change-orders/", NEW_CHANGE_ORDER, format="json"
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


def test_approving_a_change_order_adds_it_to_the_contract_value(world, api):
    # given
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, number="004", title="Ramp", status=ChangeOrder.Status.PENDING
    )
    line = factories.ChangeOrderLineFactory(
        change_order=change_order, item_number="CO4-1", description="Ramp", amount=Decimal("800.00")
    )
    # when
    response = api(world.admin).post(
        f"/api/v1/change-orders/{change_order.pk}/status/", {"status": "approved"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json() == {
        "id": change_order.pk,
        "number": "004",
        "title": "Ramp",
        "status": "approved",
        "lines": [
            {
                "id": line.pk,
                "item_number": "CO4-1",
                "description": "Ramp",
                "cost_code": "03-300",
                "amount": "800.00",
            }
        ],
    }
    detail = api(world.admin).get(f"/api/v1/commitments/{world.commitment.pk}/").json()
    assert detail["contract_value"] == "100800.00"
    assert Event.objects.get(action="change_order_status_changed").changes == {
        "status": ["pending", "approved"]
    }


def test_a_transition_that_no_longer_applies_is_a_conflict(world, api):
    # given
    change_order = factories.ChangeOrderFactory(contract=world.commitment, number="005")
    before = _snapshot()
    # when: an approved change order cannot go back to draft
    response = api(world.admin).post(
        f"/api/v1/change-orders/{change_order.pk}/status/", {"status": "draft"}, format="json"
    )
    # then
    assert response.status_code == 409
    assert response.json() == {
        "message": "Change order 005 is Approved and cannot be made Draft.",
        "code": "invalid_transition",
        "fields": {},
    }
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN_CONTRACT)),
        ("read_only", (403, NEED_ADMIN_CONTRACT)),
        ("contact", (403, NEED_ADMIN_CONTRACT)),
        ("other_contact", (404, ("not_found", "Change order not found."))),
        ("stranger", (404, ("not_found", "Change order not found."))),
    ],
)
def test_only_a_project_admin_sets_a_change_orders_status(world, api, role, refusal):
    # given
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, number="006", status=ChangeOrder.Status.PENDING
    )
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/change-orders/{change_order.pk}/status/", {"status": "approved"}, format="json"
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


# --- Client contracts ----------------------------------------------------------------------------


def test_a_project_admin_creates_a_client_contract(world, api, client_company):
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/client-contracts/",
        {
            "number": "PC-001",
            "title": "Prime contract",
            "client": client_company.pk,
            "status": "approved",
            "retainage_work_percent": "5",
            "retainage_stored_percent": "5",
            "lines": [
                {
                    "item_number": "1",
                    "description": "Concrete",
                    "cost_code": "03",
                    "scheduled_value": "150000",
                }
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 201, response.json()
    contract = Contract.objects.get(number="PC-001")
    (line,) = contract.lines.all()
    assert response.json() == {
        "id": contract.pk,
        "project": world.project.pk,
        "kind": "client",
        "number": "PC-001",
        "title": "Prime contract",
        "client": client_company.pk,
        "status": "approved",
        "executed": False,
        "private": False,
        "description": "",
        "retainage_work_percent": "5.00",
        "retainage_stored_percent": "5.00",
        "retainage_rules": [],
        "stored_materials_enabled": True,
        "accounting_method": "amount",
        "contract_value": "150000.00",
        "lines": [
            {
                "id": line.pk,
                "item_number": "1",
                "description": "Concrete",
                "cost_code": "03",
                "scheduled_value": "150000.00",
                "quantity": None,
                "unit": "",
                "unit_price": None,
            }
        ],
        "change_orders": [],
    }


def test_a_client_contracts_client_must_be_a_client_company(world, api):
    before = _snapshot()
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/client-contracts/",
        {"number": "PC-001", "title": "Prime contract", "client": world.vendor.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "client": ["Choose a client company: a client contract needs a client company."]
    }
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN)),
        ("read_only", (403, NEED_ADMIN)),
        ("contact", (403, NEED_ADMIN)),
        ("other_contact", (403, NEED_ADMIN)),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_only_a_project_admin_creates_client_contracts(world, api, client_company, role, refusal):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/projects/{world.project.pk}/client-contracts/",
        {"number": "PC-001", "title": "Prime contract", "client": client_company.pk},
        format="json",
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


@pytest.fixture
def client_contract(world, client_company):
    contract = factories.ContractFactory(
        project=world.project,
        kind=Contract.Kind.CLIENT,
        number="PC-001",
        title="Prime contract",
        counterparty=client_company,
    )
    factories.SOVLineFactory(
        contract=contract, item_number="1", cost_code="03", scheduled_value=Decimal("150000.00")
    )
    return contract


@pytest.mark.parametrize(
    ("role", "numbers"),
    [
        ("admin", ["PC-001"]),
        ("standard", ["PC-001"]),
        ("read_only", ["PC-001"]),
        ("contact", []),
        ("other_contact", []),
    ],
)
def test_vendors_contacts_never_see_client_contracts(world, api, client_contract, role, numbers):
    response = api(world.role(role)).get(f"/api/v1/projects/{world.project.pk}/client-contracts/")
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == numbers


def test_a_client_contract_shows_its_lines_and_change_orders(world, api, client_contract):
    # given
    change_order = factories.ChangeOrderFactory(
        contract=client_contract, number="PCO-1", title="Owner extra"
    )
    co_line = factories.ChangeOrderLineFactory(
        change_order=change_order,
        item_number="PCO1-1",
        description="Canopy",
        cost_code="05",
        amount=Decimal("12000.00"),
    )
    # when
    response = api(world.read_only).get(f"/api/v1/client-contracts/{client_contract.pk}/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "client"
    assert body["client"] == client_contract.counterparty_id
    assert body["contract_value"] == "162000.00"
    assert body["lines"] == _commitment_lines(client_contract)
    assert body["change_orders"] == [
        {
            "id": change_order.pk,
            "number": "PCO-1",
            "title": "Owner extra",
            "status": "approved",
            "lines": [
                {
                    "id": co_line.pk,
                    "item_number": "PCO1-1",
                    "description": "Canopy",
                    "cost_code": "05",
                    "amount": "12000.00",
                }
            ],
        }
    ]
    assert "contacts" not in body and "vendor" not in body


@pytest.mark.parametrize("role", ["contact", "other_contact", "stranger"])
def test_a_client_contract_does_not_exist_for_vendors_and_strangers(
    world, api, client_contract, role
):
    response = api(world.role(role)).get(f"/api/v1/client-contracts/{client_contract.pk}/")
    assert (response.status_code, response.json()) == _refusal(404, NOT_FOUND_CONTRACT)


def test_a_commitment_is_not_a_client_contract(world, api):
    response = api(world.admin).get(f"/api/v1/client-contracts/{world.commitment.pk}/")
    assert (response.status_code, response.json()) == _refusal(
        404, ("not_found", "Client contract not found.")
    )


def test_a_project_admin_adds_a_change_order_to_the_client_contract(world, api, client_contract):
    response = api(world.admin).post(
        f"/api/v1/client-contracts/{client_contract.pk}/change-orders/",
        NEW_CHANGE_ORDER,
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["number"] == "003"
    assert client_contract.change_orders.count() == 1


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN_CONTRACT)),
        ("read_only", (403, NEED_ADMIN_CONTRACT)),
        ("contact", (404, NOT_FOUND_CONTRACT)),
        ("other_contact", (404, NOT_FOUND_CONTRACT)),
        ("stranger", (404, NOT_FOUND_CONTRACT)),
    ],
)
def test_only_a_project_admin_adds_client_change_orders(world, api, client_contract, role, refusal):
    before = _snapshot()
    response = api(world.role(role)).post(
        f"/api/v1/client-contracts/{client_contract.pk}/change-orders/",
        NEW_CHANGE_ORDER,
        format="json",
    )
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


# --- Billing periods -----------------------------------------------------------------------------

DECEMBER = {"start_date": "2026-12-01", "end_date": "2026-12-31", "due_date": "2027-01-05"}


def test_a_project_admin_opens_the_next_period_and_the_previous_closes(world, api):
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/", DECEMBER, format="json"
    )
    # then
    assert response.status_code == 201, response.json()
    period = BillingPeriod.objects.get(project=world.project, number=2)
    assert response.json() == {"id": period.pk, "number": 2, "status": "open"} | DECEMBER
    listed = api(world.contact).get(f"/api/v1/projects/{world.project.pk}/billing-periods/")
    assert listed.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {"id": period.pk, "number": 2, "status": "open"} | DECEMBER,
            {
                "id": world.period.pk,
                "number": 1,
                "start_date": "2026-11-01",
                "end_date": "2026-11-30",
                "due_date": "2099-12-31",
                "status": "closed",
            },
        ],
    }


def test_a_period_that_ends_before_it_starts_is_refused(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/",
        DECEMBER | {"end_date": "2026-11-30"},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "end_date": ["The end date cannot be before the start date."]
    }
    assert _snapshot() == before


def test_a_date_must_be_iso(world, api):
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/",
        DECEMBER | {"due_date": "05/01/2027"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["due_date"]


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        ("standard", (403, NEED_ADMIN)),
        ("read_only", (403, NEED_ADMIN)),
        ("contact", (403, NEED_ADMIN)),
        ("other_contact", (403, NEED_ADMIN)),
        ("stranger", (404, NOT_FOUND_PROJECT)),
    ],
)
def test_only_a_project_admin_opens_periods(world, api, role, refusal):
    # given
    before = _snapshot()
    # when
    response = api(world.role(role)).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/", DECEMBER, format="json"
    )
    # then
    assert (response.status_code, response.json()) == _refusal(*refusal)
    assert _snapshot() == before


# --- Lists cost the same number of queries however long they are ---------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_listing_commitments_does_not_query_per_commitment(
    world, api, django_assert_max_num_queries
):
    # given
    client = api(world.admin)
    url = f"/api/v1/projects/{world.project.pk}/commitments/"
    baseline = _queries(client, url)
    for n in range(20):
        contract = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory.create_batch(3, contract=contract)
        change_order = factories.ChangeOrderFactory(contract=contract)
        factories.ChangeOrderLineFactory.create_batch(2, change_order=change_order)
    # when / then
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.json()["count"] == 22


def test_reading_a_commitment_does_not_query_per_line(world, api, django_assert_max_num_queries):
    # given
    client = api(world.admin)
    url = f"/api/v1/commitments/{world.commitment.pk}/"
    baseline = _queries(client, url)
    factories.SOVLineFactory.create_batch(30, contract=world.commitment)
    for _ in range(5):
        change_order = factories.ChangeOrderFactory(contract=world.commitment)
        factories.ChangeOrderLineFactory.create_batch(4, change_order=change_order)
    for n in range(5):
        world.commitment.contacts.add(
            factories.UserFactory(email=f"c{n}@acme.example", company=world.vendor)
        )
    # when / then
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.json()["lines"]) == 33
    assert len(response.json()["change_orders"]) == 5
    assert len(response.json()["contacts"]) == 6


def _more_members(world):
    for _ in range(15):
        Membership.objects.create(
            user=factories.UserFactory(company=world.contractor),
            project=world.project,
            permission=Membership.Permission.READ_ONLY,
        )


def _more_periods(world):
    for n in range(15):
        day = dt.date(2027, 1, 1) + dt.timedelta(days=n)
        factories.BillingPeriodFactory(
            project=world.project,
            number=n + 2,
            start_date=day,
            end_date=day,
            status=BillingPeriod.Status.CLOSED,
        )


LISTS = {
    "members": ("/api/v1/projects/{project}/members/", _more_members),
    "projects": (
        "/api/v1/projects/",
        lambda world: factories.ProjectFactory.create_batch(15, contractor=world.contractor),
    ),
    "companies": ("/api/v1/companies/", lambda world: factories.CompanyFactory.create_batch(15)),
    "users": (
        "/api/v1/users/",
        lambda world: factories.UserFactory.create_batch(15, company=world.vendor),
    ),
    "billing-periods": ("/api/v1/projects/{project}/billing-periods/", _more_periods),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_other_lists_do_not_query_per_row(world, api, django_assert_max_num_queries, name):
    # given: a superuser sees every project, company and user
    superuser = factories.UserFactory(email="root@summit.example", is_superuser=True)
    client = api(superuser)
    url_template, add_rows = LISTS[name]
    url = url_template.format(project=world.project.pk)
    baseline = _queries(client, url)
    count = client.get(url).json()["count"]
    add_rows(world)
    # when / then
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert response.json()["count"] == count + 15


# --- Input that is not what API.md says ----------------------------------------------------------


def test_a_misspelt_setting_is_named_not_ignored(world, api):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).patch(
        f"/api/v1/projects/{world.project.pk}/settings/", {"overbiling": "block"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == {
        "message": "overbiling: Unknown field.",
        "code": "invalid",
        "fields": {"overbiling": ["Unknown field."]},
    }
    assert _snapshot() == before


def test_an_unknown_key_on_a_line_is_named(world, api):
    # given
    before = _snapshot()
    line = {"item_number": "1", "description": "Rebar", "scheduled_valu": "100.00"}
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk, "lines": [line]},
        format="json",
    )
    # then
    assert response.status_code == 400
    assert response.json()["fields"] == {"lines[0].scheduled_valu": ["Unknown field."]}
    assert _snapshot() == before


def test_lines_must_be_a_list(world, api):
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        NEW_COMMITMENT | {"vendor": world.vendor.pk, "lines": "1 line"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["fields"] == {"lines": ['Expected a list of items but got type "str".']}


def test_a_form_encoded_body_is_refused(world, api):
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/billing-periods/", DECEMBER
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
