"""Setting up contracts: commitments, client contracts, SOV, contacts, change orders (§2)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.accounts.access import Role, contract_role
from sitebill.accounts.models import Company
from sitebill.billing.models import PayApp, PayAppLine
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.contracts.services import (
    change_order_create,
    change_order_set_status,
    contract_contact_add,
    contract_contact_remove,
    contract_create,
    contract_distribution_set,
    contract_update,
    sov_line_add,
    sov_lines_replace,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories

D = Decimal


def _events(action):
    return list(Event.objects.filter(action=action))


def _line(item, value, code="09-100", description=None):
    return {
        "item_number": item,
        "description": description or f"Item {item}",
        "cost_code": code,
        "scheduled_value": value,
    }


def _new_commitment(world, **overrides):
    arguments = {
        "actor": world.admin,
        "project": world.project,
        "kind": "subcontract",
        "number": "SC-003",
        "title": "Drywall",
        "counterparty": world.vendor,
        "lines": [_line("1", "12000.00"), _line("2", "8000.50")],
    }
    return contract_create(**{**arguments, **overrides})


def _counts():
    return (Contract.objects.count(), SOVLine.objects.count(), Event.objects.count())


def _pay_app(world, contract):
    """A pay app row as the pay app services would leave it (they are tested elsewhere)."""
    return PayApp.objects.create(
        contract=contract, billing_period=world.period, number=1, created_by=world.admin
    )


# --- contract_create --------------------------------------------------------------------------


def test_an_admin_creates_a_subcontract_with_its_sov_and_sliding_scale(world):
    # when
    contract = _new_commitment(
        world,
        status="approved",
        retainage_work_percent="10",
        retainage_stored_percent=D("5.125"),
        retainage_rules=[
            {"rate": "10", "until": "percent_complete", "limit": "50"},
            {"rate": D("5.00"), "until": "amount_held", "limit": "20000"},
        ],
        stored_materials_enabled=False,
        private=True,
        executed=True,
        description="Level 2 and 3 partitions",
    )
    # then
    contract.refresh_from_db()
    assert (contract.kind, contract.number, contract.title, contract.counterparty) == (
        "subcontract",
        "SC-003",
        "Drywall",
        world.vendor,
    )
    assert (contract.status, contract.private, contract.executed) == ("approved", True, True)
    assert contract.stored_materials_enabled is False
    assert (contract.retainage_work_percent, contract.retainage_stored_percent) == (
        D("10.0000"),
        D("5.1250"),
    )
    assert contract.retainage_rules == [
        {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
        {"rate": "5.00", "until": "amount_held", "limit": "20000.00"},
    ]
    assert [
        (line.position, line.item_number, line.cost_code, line.scheduled_value)
        for line in contract.lines.all()
    ] == [(0, "1", "09-100", D("12000.00")), (1, "2", "09-100", D("8000.50"))]
    (event,) = _events("contract_created")
    assert (event.actor, event.project, event.target_id) == (
        world.admin,
        world.project,
        contract.pk,
    )
    assert event.changes["number"] == [None, "SC-003"]
    assert event.changes["counterparty"] == [None, world.vendor.pk]
    assert event.changes["original_contract_sum"] == [None, "20000.50"]
    assert len(event.changes["lines"][1]) == 2


def test_the_sliding_scale_rules_are_stored_as_the_calculations_read_them(world):
    from sitebill.billing.calculations import parse_retainage_rules

    contract = _new_commitment(
        world,
        retainage_rules=[{"rate": "7.5", "until": "percent_of_revised_value_held", "limit": "5"}],
    )
    (rule,) = parse_retainage_rules(contract.retainage_rules)
    assert (rule.rate, rule.until, rule.limit) == (
        D("7.50"),
        "percent_of_revised_value_held",
        D("5.00"),
    )


def test_a_client_contract_needs_a_client_company(world):
    # given
    client = factories.CompanyFactory(name="Harbor Health", kind=Company.Kind.CLIENT)
    before = _counts()
    # when a vendor is named
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(world, kind="client", number="PC-001", counterparty=world.vendor)
    # then
    assert refusal.value.fields == {
        "counterparty": ["Choose a client company: a client contract needs a client company."]
    }
    assert _counts() == before
    # and with the client it is created
    contract = _new_commitment(world, kind="client", number="PC-001", counterparty=client)
    assert contract.kind == "client"


def test_a_commitment_needs_a_vendor_company(world):
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(world, kind="purchase_order", counterparty=world.contractor)
    assert refusal.value.fields == {
        "counterparty": ["Choose a vendor company: a commitment needs a vendor company."]
    }


def test_a_contract_number_already_used_in_the_project_is_refused_and_nothing_is_saved(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(world, number="sc-001")
    # then
    assert refusal.value.fields == {
        "number": ["Contract number sc-001 is already used in this project."]
    }
    assert _counts() == before


def test_the_same_number_is_fine_in_another_project(world):
    other = factories.ProjectFactory(contractor=world.contractor)
    factories.MembershipFactory(project=other, user=world.admin)
    contract = _new_commitment(world, project=other, number="SC-001")
    assert contract.project == other


def test_every_bad_line_is_named_and_no_line_or_contract_is_saved(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(
            world,
            lines=[
                _line("1", "100.00"),
                _line("2", "1.005"),
                _line("1", "5.00"),
                _line("4", "-250.00"),
                {"item_number": "", "description": "", "scheduled_value": None, "colour": "red"},
                _line("6", 100.5),
            ],
        )
    # then
    assert refusal.value.fields == {
        "lines[1].scheduled_value": [
            'Enter an amount with at most 2 decimal places, such as "1250.00".'
        ],
        "lines[2].item_number": ["Item number 1 is already used."],
        "lines[3].scheduled_value": ["Scheduled value cannot be negative."],
        "lines[4]": ["Unknown field(s): colour."],
        "lines[4].item_number": ["Item number is required."],
        "lines[4].description": ["Description is required."],
        "lines[4].scheduled_value": ["Scheduled value is required."],
        "lines[5].scheduled_value": [
            'Enter an amount with at most 2 decimal places, such as "1250.00".'
        ],
    }
    assert refusal.value.message.startswith("Enter an amount with at most 2 decimal places")
    assert _counts() == before


def test_retainage_rates_outside_0_to_100_and_float_rates_are_refused(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(world, retainage_work_percent="100.01", retainage_stored_percent=10.0)
    # then
    assert refusal.value.fields == {
        "retainage_work_percent": ["Retainage on work must be between 0 and 100."],
        "retainage_stored_percent": [
            "Retainage on stored materials must be a percentage with at most 4 decimal places, "
            'such as "10.00".'
        ],
    }
    assert _counts() == before


def test_bad_retainage_rules_are_named_rule_by_rule(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(
            world,
            retainage_rules=[
                {"rate": "101", "until": "percent_complete", "limit": "50"},
                {"rate": "10", "until": "forever", "limit": "50"},
                {"rate": "10", "until": "percent_complete", "limit": "0"},
                {"rate": "10", "until": "percent_of_original_value_held", "limit": "120"},
                {"rate": "10", "until": "amount_held", "limit": "-5.00"},
                {"rate": "10", "until": "amount_held", "limit": "5.00"},
            ],
        )
    # then
    assert refusal.value.fields == {
        "retainage_rules": ["At most 5 retainage rules are allowed."],
        "retainage_rules[0].rate": ["Rate must be between 0 and 100."],
        "retainage_rules[1].until": [
            "Choose one of: percent_complete, percent_of_original_value_held, "
            "percent_of_revised_value_held, amount_held."
        ],
        "retainage_rules[2].limit": ["Limit must be greater than 0."],
        "retainage_rules[3].limit": ["A percentage limit cannot be above 100."],
        "retainage_rules[4].limit": ["Limit cannot be negative."],
    }
    assert _counts() == before


def test_a_unit_line_is_worth_quantity_times_unit_price_rounded_half_up(world):
    # when
    contract = _new_commitment(
        world,
        accounting_method="unit",
        lines=[
            {
                "item_number": "1",
                "description": "Rebar",
                "cost_code": "03-200",
                "quantity": "3",
                "unit": "ton",
                "unit_price": "33.335",
            },
            {
                "item_number": "2",
                "description": "Formwork",
                "quantity": "120.5",
                "unit": "sf",
                "unit_price": "4.10",
                "scheduled_value": "494.05",
            },
        ],
    )
    # then
    assert [
        (line.quantity, line.unit, line.unit_price, line.scheduled_value)
        for line in contract.lines.all()
    ] == [
        (D("3.0000"), "ton", D("33.3350"), D("100.01")),
        (D("120.5000"), "sf", D("4.1000"), D("494.05")),
    ]


def test_a_unit_line_whose_value_disagrees_with_quantity_times_price_is_refused(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(
            world,
            accounting_method="unit",
            lines=[
                {
                    "item_number": "1",
                    "description": "Rebar",
                    "quantity": "3",
                    "unit_price": "33.335",
                    "scheduled_value": "100.00",
                },
                {"item_number": "2", "description": "Formwork", "scheduled_value": "10.00"},
            ],
        )
    # then
    assert refusal.value.fields == {
        "lines[0].scheduled_value": ["Scheduled value must equal quantity × unit price (100.01)."],
        "lines[1].quantity": ["Quantity is required on a unit-based contract."],
        "lines[1].unit_price": ["Unit price is required on a unit-based contract."],
    }
    assert _counts() == before


def test_an_amount_based_contract_has_no_quantities(world):
    with pytest.raises(ValidationFailed) as refusal:
        _new_commitment(world, lines=[{**_line("1", "10.00"), "quantity": "2"}])
    assert refusal.value.fields == {
        "lines[0].quantity": [
            "Only lines of a unit-based contract have a quantity, unit and unit price."
        ]
    }


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("other_contact", PermissionDenied),
        ("stranger", NotFound),
        ("anonymous", NotFound),
    ],
)
def test_only_an_admin_creates_a_commitment(world, role, error):
    # given
    before = _counts()
    # then
    with pytest.raises(error):
        _new_commitment(world, actor=world.role(role))
    assert _counts() == before


# --- contract_update --------------------------------------------------------------------------


def test_an_admin_updates_a_commitment_and_the_history_shows_from_and_to(world):
    # when
    contract = contract_update(
        actor=world.admin,
        contract=world.commitment,
        title="Concrete and rebar",
        retainage_work_percent="5",
        status="approved",  # unchanged
    )
    # then
    assert contract is world.commitment
    world.commitment.refresh_from_db()
    assert (world.commitment.title, world.commitment.retainage_work_percent) == (
        "Concrete and rebar",
        D("5.0000"),
    )
    (event,) = _events("contract_updated")
    assert event.changes == {
        "title": ["Concrete", "Concrete and rebar"],
        "retainage_work_percent": ["10.0000", "5"],
    }


def test_an_update_with_a_bad_field_changes_nothing(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        contract_update(
            actor=world.admin,
            contract=world.commitment,
            title="Renamed",
            number="SC-002",
            kind="purchase_order",
            accounting_method="unit",
            lines=[],
        )
    # then
    assert refusal.value.fields == {
        "number": ["Contract number SC-002 is already used in this project."],
        "kind": ["The kind of a contract cannot be changed."],
        "lines": ["Unknown field."],
        "accounting_method": [
            "The accounting method cannot change once the schedule of values has lines."
        ],
    }
    world.commitment.refresh_from_db()
    assert (world.commitment.title, world.commitment.number) == ("Concrete", "SC-001")
    assert _counts() == before


def test_the_vendor_cannot_change_while_the_commitment_has_contacts(world):
    with pytest.raises(ValidationFailed) as refusal:
        contract_update(
            actor=world.admin, contract=world.commitment, counterparty=world.other_vendor
        )
    assert refusal.value.fields == {
        "counterparty": ["Remove the payment application contacts before changing the vendor."]
    }
    world.commitment.refresh_from_db()
    assert world.commitment.counterparty == world.vendor


def test_a_standard_user_cannot_update_a_commitment(world):
    with pytest.raises(PermissionDenied):
        contract_update(actor=world.standard, contract=world.commitment, title="Mine")
    world.commitment.refresh_from_db()
    assert world.commitment.title == "Concrete"


# --- SOV lines --------------------------------------------------------------------------------


def test_an_admin_replaces_the_sov_before_any_billing(world):
    # when
    lines = sov_lines_replace(
        actor=world.admin,
        contract=world.commitment,
        lines=[_line("A", "60000.00", "03-300"), _line("B", "45000.00", "03-350")],
    )
    # then
    assert [(line.position, line.item_number, line.scheduled_value) for line in lines] == [
        (0, "A", D("60000.00")),
        (1, "B", D("45000.00")),
    ]
    assert list(world.commitment.lines.values_list("item_number", flat=True)) == ["A", "B"]
    (event,) = _events("sov_replaced")
    assert event.changes["original_contract_sum"] == ["100000.00", "105000.00"]
    assert [line["item_number"] for line in event.changes["lines"][0]] == ["1", "2", "3"]


def test_the_sov_is_locked_once_a_pay_app_exists(world):
    # given
    _pay_app(world, world.commitment)
    before = list(world.commitment.lines.values_list("item_number", "scheduled_value"))
    # when
    with pytest.raises(ValidationFailed) as refusal:
        sov_lines_replace(actor=world.admin, contract=world.commitment, lines=[_line("A", "1.00")])
    # then
    assert refusal.value.code == "sov_locked"
    assert refusal.value.message == (
        "The schedule of values of SC-001 is locked because it already has a pay app. "
        "Add a change order instead."
    )
    with pytest.raises(ValidationFailed) as refusal:
        sov_line_add(actor=world.admin, contract=world.commitment, **_line("4", "1.00"))
    assert refusal.value.code == "sov_locked"
    assert list(world.commitment.lines.values_list("item_number", "scheduled_value")) == before
    assert not _events("sov_replaced") and not _events("sov_line_added")


def test_an_admin_adds_one_line_at_the_end_of_the_sov(world):
    # when
    line = sov_line_add(
        actor=world.admin,
        contract=world.commitment,
        item_number="4",
        description="Sealing",
        cost_code="03-900",
        scheduled_value="2500.00",
    )
    # then
    line.refresh_from_db()
    assert (line.position, line.item_number, line.scheduled_value) == (3, "4", D("2500.00"))
    (event,) = _events("sov_line_added")
    assert event.changes["original_contract_sum"] == ["100000.00", "102500.00"]
    assert event.changes["line"][1]["item_number"] == "4"


def test_a_line_with_an_item_number_already_on_the_sov_is_refused(world):
    # given
    before = _counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        sov_line_add(actor=world.admin, contract=world.commitment, **_line("2", "-1.00"))
    # then
    assert refusal.value.fields == {
        "item_number": ["Item number 2 is already used."],
        "scheduled_value": ["Scheduled value cannot be negative."],
    }
    assert _counts() == before


def test_a_contact_cannot_change_the_sov_of_its_own_commitment(world):
    with pytest.raises(PermissionDenied):
        sov_line_add(actor=world.contact, contract=world.commitment, **_line("4", "1.00"))
    with pytest.raises(NotFound):
        sov_line_add(actor=world.other_contact, contract=world.commitment, **_line("4", "1.00"))
    assert world.commitment.lines.count() == 3


# --- Contacts and distribution ----------------------------------------------------------------


def test_a_vendor_user_named_as_contact_sees_that_commitment_only(world):
    # given
    ap_clerk = factories.UserFactory(email="ap@acme.example", company=world.vendor)
    assert contract_role(ap_clerk, world.commitment) == Role.NONE
    # when
    contract_contact_add(actor=world.admin, contract=world.commitment, user=ap_clerk)
    # then
    assert set(world.commitment.contacts.all()) == {world.contact, ap_clerk}
    assert contract_role(ap_clerk, world.commitment) == Role.CONTACT
    assert contract_role(ap_clerk, world.other_commitment) == Role.NONE
    (event,) = _events("contact_added")
    assert (event.actor, event.changes) == (world.admin, {"contact": [None, "ap@acme.example"]})


def test_adding_a_contact_twice_changes_nothing(world):
    contract_contact_add(actor=world.admin, contract=world.commitment, user=world.contact)
    assert list(world.commitment.contacts.all()) == [world.contact]
    assert not _events("contact_added")


def test_a_contact_must_be_a_user_of_the_commitments_vendor(world):
    # when
    with pytest.raises(ValidationFailed) as refusal:
        contract_contact_add(actor=world.admin, contract=world.commitment, user=world.other_contact)
    # then
    assert refusal.value.fields == {
        "user": ["A payment application contact must be a user of Acme Concrete."]
    }
    assert list(world.commitment.contacts.all()) == [world.contact]


def test_a_client_contract_has_no_contacts(world):
    client = factories.CompanyFactory(kind=Company.Kind.CLIENT)
    contract = _new_commitment(world, kind="client", number="PC-001", counterparty=client)
    client_user = factories.UserFactory(company=client)
    with pytest.raises(ValidationFailed) as refusal:
        contract_contact_add(actor=world.admin, contract=contract, user=client_user)
    assert refusal.value.code == "not_a_commitment"
    assert not contract.contacts.exists()


def test_an_admin_removes_a_contact_who_then_loses_access(world):
    # when
    contract_contact_remove(actor=world.admin, contract=world.commitment, user=world.contact)
    # then
    assert not world.commitment.contacts.exists()
    assert contract_role(world.contact, world.commitment) == Role.NONE
    (event,) = _events("contact_removed")
    assert event.changes == {"contact": ["billing@acme.example", None]}


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_only_an_admin_manages_contacts(world, role):
    with pytest.raises(PermissionDenied):
        contract_contact_remove(
            actor=world.role(role), contract=world.commitment, user=world.contact
        )
    assert list(world.commitment.contacts.all()) == [world.contact]


def test_the_distribution_list_takes_contractor_users_only(world):
    # when
    contract_distribution_set(
        actor=world.admin, contract=world.commitment, users=[world.standard, world.admin]
    )
    # then
    assert set(world.commitment.distribution.all()) == {world.admin, world.standard}
    (event,) = _events("distribution_set")
    assert event.changes == {
        "distribution": [[], ["admin@summit.example", "standard@summit.example"]]
    }
    # and a vendor's user is refused, leaving the list as it was
    with pytest.raises(ValidationFailed) as refusal:
        contract_distribution_set(
            actor=world.admin, contract=world.commitment, users=[world.contact]
        )
    assert refusal.value.fields == {
        "users": ["billing@acme.example is not a user of Summit Builders."]
    }
    assert set(world.commitment.distribution.all()) == {world.admin, world.standard}


# --- Change orders ----------------------------------------------------------------------------


def test_an_admin_creates_a_change_order_with_a_deduction(world):
    # when
    change_order = change_order_create(
        actor=world.admin,
        contract=world.commitment,
        number="001",
        title="Generator pad, delete site walk",
        lines=[
            {
                "item_number": "CO1-1",
                "description": "Generator pad",
                "cost_code": "03-510",
                "amount": "18500.00",
            },
            {"item_number": "CO1-2", "description": "Delete site walk", "amount": "-6200.00"},
        ],
    )
    # then
    change_order.refresh_from_db()
    assert (change_order.number, change_order.status, change_order.approved_at) == (
        "001",
        "draft",
        None,
    )
    assert list(change_order.lines.values_list("item_number", "cost_code", "amount")) == [
        ("CO1-1", "03-510", D("18500.00")),
        ("CO1-2", "", D("-6200.00")),
    ]
    (event,) = _events("change_order_created")
    assert event.changes["amount"] == [None, "12300.00"]
    assert event.changes["status"] == [None, "draft"]


def test_a_change_order_created_approved_is_stamped(world):
    change_order = change_order_create(
        actor=world.admin,
        contract=world.commitment,
        number="001",
        title="Extra",
        status="approved",
        lines=[{"item_number": "CO1-1", "description": "Extra", "amount": "10.00"}],
    )
    assert change_order.approved_at is not None


def test_a_bad_change_order_is_refused_and_nothing_is_saved(world):
    # given
    factories.ChangeOrderFactory(contract=world.commitment, number="001")
    before = (ChangeOrder.objects.count(), ChangeOrderLine.objects.count(), Event.objects.count())
    # when
    with pytest.raises(ValidationFailed) as refusal:
        change_order_create(
            actor=world.admin,
            contract=world.commitment,
            number="001",
            title="",
            status="maybe",
            lines=[
                {"item_number": "X", "description": "A", "amount": "1.00"},
                {"item_number": "X", "description": "B", "amount": "ten"},
            ],
        )
    # then
    assert refusal.value.fields == {
        "number": ["Change order 001 already exists on SC-001."],
        "title": ["Title is required."],
        "status": ["Choose one of: draft, pending, approved, void."],
        "lines[1].item_number": ["Item number X is already used."],
        "lines[1].amount": ['Enter an amount with at most 2 decimal places, such as "1250.00".'],
    }
    assert (
        ChangeOrder.objects.count(),
        ChangeOrderLine.objects.count(),
        Event.objects.count(),
    ) == before


def test_a_read_only_user_cannot_create_a_change_order(world):
    with pytest.raises(PermissionDenied):
        change_order_create(
            actor=world.read_only, contract=world.commitment, number="001", title="X", lines=[]
        )
    assert not ChangeOrder.objects.exists()


def test_a_pending_change_order_is_approved_and_stamped(world):
    # given
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, status=ChangeOrder.Status.PENDING
    )
    # when
    change_order_set_status(actor=world.admin, change_order=change_order, status="approved")
    # then
    change_order.refresh_from_db()
    assert change_order.status == "approved"
    assert change_order.approved_at is not None
    (event,) = _events("change_order_status_changed")
    assert event.changes == {"status": ["pending", "approved"]}


def test_an_approved_change_order_no_pay_app_carries_can_be_voided(world):
    change_order = factories.ChangeOrderFactory(contract=world.commitment)
    change_order_set_status(actor=world.admin, change_order=change_order, status="void")
    change_order.refresh_from_db()
    assert change_order.status == "void"


def test_an_approved_change_order_on_a_pay_app_cannot_be_voided(world):
    # given
    change_order = factories.ChangeOrderFactory(contract=world.commitment)
    co_line = factories.ChangeOrderLineFactory(change_order=change_order)
    pay_app = _pay_app(world, world.commitment)
    PayAppLine.objects.create(
        pay_app=pay_app,
        change_order_line=co_line,
        item_number=co_line.item_number,
        description=co_line.description,
        scheduled_value=co_line.amount,
    )
    # when
    with pytest.raises(ValidationFailed) as refusal:
        change_order_set_status(actor=world.admin, change_order=change_order, status="void")
    # then
    assert refusal.value.code == "change_order_in_use"
    assert refusal.value.message == (
        f"Change order {change_order.number} is already on a pay app and cannot be voided."
    )
    change_order.refresh_from_db()
    assert change_order.status == "approved"
    assert not _events("change_order_status_changed")


@pytest.mark.parametrize(
    ("current", "wanted", "message"),
    [
        ("approved", "draft", "Change order 001 is Approved and cannot be made Draft."),
        ("void", "approved", "Change order 001 is Void and cannot be made Approved."),
        ("pending", "pending", "Change order 001 is already Pending."),
    ],
)
def test_a_transition_that_does_not_apply_is_a_conflict(world, current, wanted, message):
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, number="001", status=current
    )
    with pytest.raises(Conflict) as refusal:
        change_order_set_status(actor=world.admin, change_order=change_order, status=wanted)
    assert refusal.value.message == message
    change_order.refresh_from_db()
    assert change_order.status == current


def test_a_standard_user_cannot_approve_a_change_order(world):
    change_order = factories.ChangeOrderFactory(
        contract=world.commitment, status=ChangeOrder.Status.PENDING
    )
    with pytest.raises(PermissionDenied):
        change_order_set_status(actor=world.standard, change_order=change_order, status="approved")
    change_order.refresh_from_db()
    assert change_order.status == "pending"


def test_change_orders_on_a_voided_commitment_still_follow_their_own_statuses(world):
    # A note of what is *not* refused: the commitment's status does not gate change orders.
    world.commitment.status = Contract.Status.VOID
    world.commitment.save(update_fields=["status"])
    change_order = change_order_create(
        actor=world.admin, contract=world.commitment, number="009", title="Late", lines=[]
    )
    assert change_order.status == "draft"
