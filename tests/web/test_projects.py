"""The project page: facts, settings and the commitments each role may see, with their values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from sitebill.contracts.models import ChangeOrder, Contract
from tests import factories


def commitment_row(world, contract, *, value: str, contacts: int) -> str:
    vendor = contract.counterparty.name
    return f"""<tr>
      <td><a href="/commitments/{contract.pk}/">{contract.number}</a></td>
      <td>{contract.title}</td>
      <td>{vendor}</td>
      <td>Subcontract</td>
      <td><span class="pill pill--approved">Approved</span></td>
      <td class="num">{value}</td>
      <td class="num">{contacts}</td>
    </tr>"""


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
def test_members_see_every_commitment_with_its_value(login, world, role):
    # when
    response = login(role).get(f"/projects/{world.project.pk}/")
    # then
    assert response.status_code == 200
    assertContains(response, "<h1>Riverside Clinic</h1>", html=True)
    assertContains(
        response,
        commitment_row(world, world.commitment, value="$100,000.00", contacts=1),
        html=True,
    )
    assertContains(
        response,
        commitment_row(world, world.other_commitment, value="$40,000.00", contacts=1),
        html=True,
    )


def test_the_project_page_shows_facts_settings_and_the_tabs(login, world):
    # given
    world.project.address = "12 River Road, Springfield"
    world.project.reminder_days_before_due = 3
    world.project.save(update_fields=["address", "reminder_days_before_due"])
    # when
    response = login("read_only").get(f"/projects/{world.project.pk}/")
    # then
    assertContains(response, "<dt>Address</dt><dd>12 River Road, Springfield</dd>", html=True)
    assertContains(response, "<dt>Currency</dt><dd>USD (US dollar)</dd>", html=True)
    assertContains(response, "<dt>Your role</dt><dd>Read Only</dd>", html=True)
    assertContains(response, "<dt>Overbilling</dt><dd>Warn</dd>", html=True)
    assertContains(response, "<dt>Rounding</dt><dd>Half up</dd>", html=True)
    assertContains(
        response,
        "<dt>Stored materials</dt><dd>Stay stored until installed (AIA)</dd>",
        html=True,
    )
    assertContains(
        response,
        "<dt>Billing periods</dt><dd>Manual, due 5 days after period end</dd>",
        html=True,
    )
    assertContains(response, "<dt>Reminders</dt><dd>3 days before the due date</dd>", html=True)
    pk = world.project.pk
    assertContains(
        response, f'<a href="/projects/{pk}/" aria-current="page">Commitments</a>', html=True
    )
    assertContains(
        response, f'<a href="/projects/{pk}/client-contracts/">Client Contracts</a>', html=True
    )
    assertContains(
        response, f'<a href="/projects/{pk}/billing-periods/">Billing Periods</a>', html=True
    )
    assertContains(
        response, f'<a href="/projects/{pk}/progress-billings/">Progress Billings</a>', html=True
    )


@pytest.mark.parametrize(
    ("role", "seen", "hidden"),
    [
        ("contact", "commitment", "other_commitment"),
        ("other_contact", "other_commitment", "commitment"),
    ],
)
def test_a_contact_sees_only_its_own_commitment(login, world, role, seen, hidden):
    # when
    response = login(role).get(f"/projects/{world.project.pk}/")
    # then
    assert response.status_code == 200
    assertContains(response, f'/commitments/{getattr(world, seen).pk}/"')
    assertNotContains(response, f'/commitments/{getattr(world, hidden).pk}/"')
    assertContains(response, "<dt>Your role</dt><dd>Payment Application Contact</dd>", html=True)


def test_a_stranger_gets_not_found(login, world):
    # when
    response = login("stranger").get(f"/projects/{world.project.pk}/")
    # then
    assert response.status_code == 404
    assertContains(response, "Project not found.", status_code=404)
    assertNotContains(response, "Riverside Clinic", status_code=404)


def test_a_private_commitment_is_listed_only_for_those_who_may_see_it(login, world):
    # given
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    url = f"/projects/{world.project.pk}/"
    # then
    assertContains(login("admin").get(url), "Electrical")
    assertNotContains(login("read_only").get(url), "Electrical")
    assertNotContains(login("standard").get(url), "Electrical")


def test_the_contract_value_adds_approved_change_orders_only(login, world):
    # given an approved deduction and an addition still pending
    approved = factories.ChangeOrderFactory(
        contract=world.commitment, number="001", status=ChangeOrder.Status.APPROVED
    )
    factories.ChangeOrderLineFactory(change_order=approved, amount=Decimal("-2500.00"))
    factories.ChangeOrderLineFactory(change_order=approved, amount=Decimal("1000.50"))
    pending = factories.ChangeOrderFactory(
        contract=world.commitment, number="002", status=ChangeOrder.Status.PENDING
    )
    factories.ChangeOrderLineFactory(change_order=pending, amount=Decimal("9999.00"))
    # when
    response = login("admin").get(f"/projects/{world.project.pk}/")
    # then 100,000.00 - 2,500.00 + 1,000.50
    assertContains(
        response, commitment_row(world, world.commitment, value="$98,500.50", contacts=1), html=True
    )


def test_a_commitment_without_lines_is_worth_nothing(login, world):
    # given
    factories.ContractFactory(
        project=world.project, number="PO-001", title="Rebar", kind=Contract.Kind.PURCHASE_ORDER
    )
    # when
    response = login("admin").get(f"/projects/{world.project.pk}/")
    # then
    assertContains(response, "<td>Purchase Order</td>", html=True)
    assertContains(response, '<td class="num">$0.00</td>', html=True)
    assertContains(response, '<td class="num">0</td>', html=True)


def test_the_client_contracts_tab_lists_client_contracts(login, world):
    # given
    client_company = factories.CompanyFactory(name="Riverside Health", kind="client")
    prime = factories.ContractFactory(
        project=world.project,
        kind=Contract.Kind.CLIENT,
        number="PC-001",
        title="Prime contract",
        counterparty=client_company,
    )
    factories.SOVLineFactory(contract=prime, scheduled_value=Decimal("250000.00"))
    # when
    response = login("standard").get(f"/projects/{world.project.pk}/client-contracts/")
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f"""<tr>
          <td><a href="/client-contracts/{prime.pk}/">PC-001</a></td>
          <td>Prime contract</td>
          <td>Riverside Health</td>
          <td>Client Contract</td>
          <td><span class="pill pill--approved">Approved</span></td>
          <td class="num">$250,000.00</td>
        </tr>""",
        html=True,
    )
    assertNotContains(response, "Concrete")
    # and a contact sees no client contract
    contact_page = login("contact").get(f"/projects/{world.project.pk}/client-contracts/")
    assertContains(contact_page, "No client contracts you can see on this project.")
    assertNotContains(contact_page, "PC-001")


def test_the_project_page_query_count_does_not_grow_with_commitments(
    login, world, django_assert_max_num_queries
):
    # given
    client = login("admin")
    url = f"/projects/{world.project.pk}/"
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for n in range(10):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment)
        co = factories.ChangeOrderFactory(contract=commitment)
        factories.ChangeOrderLineFactory(change_order=co)
        commitment.contacts.add(world.contact)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assertContains(response, "SC-109")
