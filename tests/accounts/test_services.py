"""Setting up companies, users, projects and memberships (API.md, DOMAIN.md §2 and §4)."""

from __future__ import annotations

import pytest

from sitebill.accounts.access import Role, project_role
from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.accounts.services import (
    company_create,
    membership_set,
    project_create,
    project_update_settings,
    user_create,
)
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories


@pytest.fixture
def company_admin(world):
    return factories.UserFactory(
        email="owner@summit.example", company=world.contractor, is_company_admin=True
    )


def _events(action):
    return list(Event.objects.filter(action=action))


# --- company_create ---------------------------------------------------------------------------


def test_a_company_administrator_creates_a_vendor_company(company_admin):
    # when
    company = company_create(actor=company_admin, name="  Delta Glazing ", kind="vendor")
    # then
    company.refresh_from_db()
    assert (company.name, company.kind) == ("Delta Glazing", Company.Kind.VENDOR)
    (event,) = _events("company_created")
    assert event.actor == company_admin
    assert event.target_id == company.pk
    assert event.changes == {"name": [None, "Delta Glazing"], "kind": [None, "vendor"]}


@pytest.mark.parametrize("role", ["admin", "standard", "contact", "stranger", "anonymous"])
def test_only_a_company_administrator_may_create_a_company(world, role):
    # given
    companies = Company.objects.count()
    # when
    with pytest.raises(PermissionDenied) as refusal:
        company_create(actor=world.role(role), name="Delta Glazing", kind="vendor")
    # then
    assert refusal.value.message == "Only a company administrator may create companies."
    assert Company.objects.count() == companies
    assert not _events("company_created")


def test_an_admin_of_a_vendor_company_is_no_company_administrator(world):
    # given
    vendor_admin = factories.UserFactory(company=world.vendor, is_company_admin=True)
    # then
    with pytest.raises(PermissionDenied):
        company_create(actor=vendor_admin, name="Delta Glazing", kind="vendor")


def test_a_company_without_a_name_or_with_an_unknown_kind_is_refused(company_admin):
    # given
    companies = Company.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        company_create(actor=company_admin, name="   ", kind="supplier")
    # then
    assert refusal.value.fields == {
        "name": ["Name is required."],
        "kind": ["Choose one of: contractor, vendor, client."],
    }
    assert refusal.value.message == "Name is required. (and 1 more problem)"
    assert Company.objects.count() == companies


# --- user_create ------------------------------------------------------------------------------


def test_a_company_administrator_creates_a_user_who_can_log_in(world, company_admin):
    # when
    user = user_create(
        actor=company_admin,
        email=" New.PM@Summit.Example ",
        name="Pat Manager",
        company=world.contractor,
        password="long-enough-passphrase",
    )
    # then
    user.refresh_from_db()
    assert (user.email, user.name, user.company) == (
        "new.pm@summit.example",
        "Pat Manager",
        world.contractor,
    )
    assert user.check_password("long-enough-passphrase")
    assert user.is_company_admin is False
    (event,) = _events("user_created")
    assert event.actor == company_admin
    assert event.changes == {
        "email": [None, "new.pm@summit.example"],
        "name": [None, "Pat Manager"],
        "company": [None, world.contractor.pk],
        "is_company_admin": [None, False],
    }
    assert "password" not in str(event.changes)


def test_a_project_admin_may_create_a_vendor_user_without_a_password(world):
    # when
    user = user_create(actor=world.admin, email="ap@acme.example", company=world.vendor)
    # then
    assert user.company == world.vendor
    assert user.has_usable_password() is False


def test_a_project_admin_cannot_create_a_company_administrator(world):
    # given
    users = User.objects.count()
    # when
    with pytest.raises(PermissionDenied) as refusal:
        user_create(
            actor=world.admin,
            email="boss@summit.example",
            company=world.contractor,
            is_company_admin=True,
        )
    # then
    assert refusal.value.message == (
        "Only a company administrator may create company administrators."
    )
    assert User.objects.count() == users


@pytest.mark.parametrize("role", ["standard", "read_only", "contact", "stranger", "anonymous"])
def test_a_user_who_is_no_admin_anywhere_cannot_create_users(world, role):
    # given
    users = User.objects.count()
    # then
    with pytest.raises(PermissionDenied):
        user_create(actor=world.role(role), email="x@acme.example", company=world.vendor)
    assert User.objects.count() == users


def test_an_email_already_used_in_another_case_is_refused(world, company_admin):
    # given
    users = User.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        user_create(actor=company_admin, email="Billing@ACME.example", company=world.vendor)
    # then
    assert refusal.value.fields == {"email": ["A user with this email already exists."]}
    assert User.objects.count() == users
    assert not _events("user_created")


def test_a_malformed_email_and_a_weak_password_are_refused_together(world, company_admin):
    # given
    users = User.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        user_create(
            actor=company_admin, email="not-an-email", company=world.vendor, password="password"
        )
    # then
    assert refusal.value.fields == {
        "email": ["Enter a valid email address."],
        "password": ["This password is too common."],
    }
    assert User.objects.count() == users


def test_only_a_contractor_user_can_be_made_company_administrator(world, company_admin):
    with pytest.raises(ValidationFailed) as refusal:
        user_create(
            actor=company_admin,
            email="boss@acme.example",
            company=world.vendor,
            is_company_admin=True,
        )
    assert refusal.value.fields == {
        "is_company_admin": ["Only users of a contractor company can be company administrators."]
    }


# --- project_create ---------------------------------------------------------------------------


def test_a_company_administrator_creates_a_project_and_becomes_its_admin(world, company_admin):
    # given
    client = factories.CompanyFactory(name="Harbor Health", kind=Company.Kind.CLIENT)
    # when
    project = project_create(
        actor=company_admin,
        name="Harbor Clinic",
        number="2026-020",
        contractor=world.contractor,
        client=client,
        currency="CAD",
        address="1 Harbor Way",
        settings={
            "overbilling": "block",
            "rounding": "half_even",
            "move_stored_to_previous": True,
            "invite_message": "Attach lien waivers.",
            "reminder_days_before_due": 3,
            "period_frequency": "monthly",
            "due_days_after_period_end": 10,
        },
    )
    # then
    project.refresh_from_db()
    assert (project.name, project.number, project.contractor, project.client) == (
        "Harbor Clinic",
        "2026-020",
        world.contractor,
        client,
    )
    assert (project.currency, project.address) == ("CAD", "1 Harbor Way")
    assert (project.overbilling, project.rounding, project.move_stored_to_previous) == (
        "block",
        "half_even",
        True,
    )
    assert project.invite_message == "Attach lien waivers."
    assert (project.reminder_days_before_due, project.period_frequency) == (3, "monthly")
    assert project.due_days_after_period_end == 10
    membership = Membership.objects.get(project=project)
    assert (membership.user, membership.permission) == (company_admin, "admin")
    assert project_role(company_admin, project) == Role.ADMIN
    (created,) = _events("project_created")
    assert created.project == project
    assert created.changes["number"] == [None, "2026-020"]
    assert created.changes["overbilling"] == [None, "block"]
    (member_event,) = _events("membership_set")
    assert member_event.changes == {
        "user": [None, "owner@summit.example"],
        "permission": [None, "admin"],
    }


def test_a_project_takes_the_default_settings(world, company_admin):
    project = project_create(
        actor=company_admin, name="Annex", number="2026-021", contractor=world.contractor
    )
    assert (project.currency, project.overbilling, project.rounding) == ("USD", "warn", "half_up")
    assert (project.period_frequency, project.due_days_after_period_end) == ("manual", 5)


def test_a_project_number_already_used_is_refused(world, company_admin):
    # given
    projects = Project.objects.count()
    taken = world.project.number.lower()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        project_create(actor=company_admin, name="Again", number=taken, contractor=world.contractor)
    # then
    assert refusal.value.fields == {"number": [f"Project number {taken} is already used."]}
    assert Project.objects.count() == projects
    assert not Membership.objects.filter(user=company_admin).exists()
    assert not _events("project_created")


def test_bad_settings_and_companies_are_all_named_and_nothing_is_saved(world, company_admin):
    # given
    projects = Project.objects.count()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        project_create(
            actor=company_admin,
            name="Bad",
            number="2026-099",
            contractor=world.vendor,
            client=world.contractor,
            currency="EUR",
            settings={
                "overbilling": "sometimes",
                "move_stored_to_previous": "yes",
                "due_days_after_period_end": -1,
                "colour": "blue",
            },
        )
    # then
    assert refusal.value.fields == {
        "contractor": ["Choose a contractor company."],
        "client": ["Choose a client company."],
        "currency": ["Choose one of: USD, CAD."],
        "settings.overbilling": ["Choose one of: allow, warn, block."],
        "settings.move_stored_to_previous": ["Must be true or false."],
        "settings.due_days_after_period_end": ["Enter a whole number of days from 0 to 365."],
        "settings.colour": [
            "Unknown setting; use one of: overbilling, rounding, move_stored_to_previous, "
            "invite_message, reminder_days_before_due, period_frequency, "
            "due_days_after_period_end."
        ],
    }
    assert Project.objects.count() == projects


def test_a_project_admin_who_is_no_company_administrator_cannot_create_a_project(world):
    with pytest.raises(PermissionDenied) as refusal:
        project_create(actor=world.admin, name="X", number="X-1", contractor=world.contractor)
    assert refusal.value.message == "Only a company administrator may create projects."


# --- project_update_settings ------------------------------------------------------------------


def test_an_admin_changes_settings_and_the_history_shows_from_and_to(world):
    # when
    project = project_update_settings(
        actor=world.admin,
        project=world.project,
        overbilling="block",
        rounding="half_up",  # unchanged: not recorded
        period_frequency="weekly",
    )
    # then
    assert project is world.project
    world.project.refresh_from_db()
    assert (world.project.overbilling, world.project.period_frequency) == ("block", "weekly")
    (event,) = _events("project_settings_updated")
    assert event.actor == world.admin
    assert event.changes == {
        "overbilling": ["warn", "block"],
        "period_frequency": ["manual", "weekly"],
    }


def test_settings_that_do_not_change_record_nothing(world):
    project_update_settings(actor=world.admin, project=world.project, overbilling="warn")
    assert not _events("project_settings_updated")


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("stranger", NotFound),
        ("anonymous", NotFound),
    ],
)
def test_only_an_admin_changes_project_settings(world, role, error):
    with pytest.raises(error):
        project_update_settings(actor=world.role(role), project=world.project, overbilling="block")
    world.project.refresh_from_db()
    assert world.project.overbilling == "warn"
    assert not _events("project_settings_updated")


def test_a_bad_setting_is_named_as_passed_and_nothing_changes(world):
    # when
    with pytest.raises(ValidationFailed) as refusal:
        project_update_settings(
            actor=world.admin, project=world.project, overbilling="block", rounding="down"
        )
    # then
    assert refusal.value.fields == {"rounding": ["Choose one of: half_up, half_even."]}
    world.project.refresh_from_db()
    assert world.project.overbilling == "warn"


# --- membership_set ---------------------------------------------------------------------------


def test_an_admin_adds_a_member_and_later_changes_the_level(world):
    # given
    pm = factories.UserFactory(email="pm@summit.example", company=world.contractor)
    assert project_role(pm, world.project) == Role.NONE
    # when
    membership_set(actor=world.admin, project=world.project, user=pm, permission="read_only")
    membership = membership_set(
        actor=world.admin, project=world.project, user=pm, permission="standard"
    )
    # then
    assert Membership.objects.filter(project=world.project, user=pm).count() == 1
    assert membership.permission == "standard"
    assert project_role(pm, world.project) == Role.STANDARD
    assert [event.changes for event in _events("membership_set")] == [
        {"user": [None, "pm@summit.example"], "permission": [None, "read_only"]},
        {"permission": ["read_only", "standard"]},
    ]


def test_a_vendor_user_cannot_become_a_project_member(world):
    # when
    with pytest.raises(ValidationFailed) as refusal:
        membership_set(
            actor=world.admin, project=world.project, user=world.contact, permission="read_only"
        )
    # then
    assert list(refusal.value.fields) == ["user"]
    assert not Membership.objects.filter(user=world.contact).exists()


def test_the_last_admin_cannot_step_down(world):
    # when
    with pytest.raises(ValidationFailed) as refusal:
        membership_set(
            actor=world.admin, project=world.project, user=world.admin, permission="standard"
        )
    # then
    assert refusal.value.fields == {"permission": ["A project needs at least one Admin."]}
    assert Membership.objects.get(user=world.admin).permission == "admin"


def test_an_admin_may_step_down_once_there_is_another(world):
    membership_set(
        actor=world.admin, project=world.project, user=world.standard, permission="admin"
    )
    membership_set(
        actor=world.admin, project=world.project, user=world.admin, permission="standard"
    )
    assert Membership.objects.get(user=world.admin).permission == "standard"


def test_an_unknown_permission_level_is_refused(world):
    with pytest.raises(ValidationFailed) as refusal:
        membership_set(
            actor=world.admin, project=world.project, user=world.standard, permission="owner"
        )
    assert refusal.value.fields == {"permission": ["Choose one of: read_only, standard, admin."]}
    assert Membership.objects.get(user=world.standard).permission == "standard"


@pytest.mark.parametrize(
    ("role", "error"),
    [("standard", PermissionDenied), ("contact", PermissionDenied), ("stranger", NotFound)],
)
def test_only_an_admin_sets_memberships(world, role, error):
    with pytest.raises(error):
        membership_set(
            actor=world.role(role), project=world.project, user=world.read_only, permission="admin"
        )
    assert Membership.objects.get(user=world.read_only).permission == "read_only"
    assert not _events("membership_set")
