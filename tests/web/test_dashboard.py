"""My billing (/billing/): a payment application contact's Invites to Bill and pay apps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import PayApp
from sitebill.billing.services.invites import invite_accept, invites_send
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from tests import factories

URL = "/billing/"


def billed(world, contract, *, work: str) -> PayApp:
    """A Draft pay app for the period with E = `work` on its first line."""
    contact = contract.contacts.first()
    pay_app = pay_app_create(
        actor=world.admin, contract=contract, billing_period=world.period, on_behalf_of=contact
    )
    first = pay_app.lines.order_by("position", "id").first()
    pay_app_lines_update(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        changes=[LineChange(line_id=first.pk, work_completed_this_period=Decimal(work))],
    )
    pay_app.refresh_from_db()
    return pay_app


def test_a_contact_sees_a_pending_invite_with_accept_and_decline(login, world):
    # given
    invite = invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    pk = invite.invited[0].pk
    # when
    response = login("contact").get(URL)
    # then
    assert response.status_code == 200
    assertContains(response, '<a href="/billing/" aria-current="page">My billing</a>', html=True)
    assertContains(
        response,
        f"""<td>Riverside Clinic</td>
        <td><a href="/commitments/{world.commitment.pk}/">SC-001</a> Concrete</td>
        <td class="nowrap">Period 1</td>
        <td class="nowrap">Dec 31, 2099</td>
        <td>Work &amp; Materials</td>
        <td><span class="pill pill--invited">Invited</span></td>""",
        html=True,
    )
    assertContains(response, f'<form method="post" action="/invites/{pk}/accept/"')
    assertContains(response, f'<form method="post" action="/invites/{pk}/decline/"')
    assertContains(response, ">Accept</button>")
    assertContains(response, ">Decline</button>")


def test_an_accepted_invite_offers_to_create_the_pay_app(login, world):
    # given
    result = invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    invite_accept(actor=world.contact, invite=result.invited[0])
    # when
    response = login("contact").get(URL)
    # then
    assertContains(response, '<span class="pill pill--accepted">Accepted</span>', html=True)
    assertContains(
        response,
        f'<a href="/commitments/{world.commitment.pk}/pay-apps/new/">Create pay app</a>',
        html=True,
    )
    assertNotContains(response, ">Accept</button>")


def test_a_contact_sees_its_pay_apps_with_the_current_payment_due(login, world):
    # given E = 10,000.00 at 10% retainage: G702 line 8 = 10,000.00 - 1,000.00 - 0.00
    pay_app = billed(world, world.commitment, work="10000.00")
    # when
    response = login("contact").get(URL)
    # then
    assertContains(
        response,
        f"""<tr>
        <td>Riverside Clinic</td>
        <td>SC-001 Concrete</td>
        <td><a href="/pay-apps/{pay_app.pk}/">#1</a></td>
        <td class="nowrap">Period 1</td>
        <td><span class="pill pill--draft">Draft</span></td>
        <td class="num">$9,000.00</td>
        </tr>""",
        html=True,
    )


def test_a_contact_sees_only_its_own_invites_and_pay_apps(login, world):
    # given both commitments invited and billed
    invites_send(
        actor=world.admin,
        period=world.period,
        contracts=[world.commitment, world.other_commitment],
    )
    billed(world, world.other_commitment, work="4000.00")
    # when
    response = login("contact").get(URL)
    # then
    assertContains(response, "SC-001")
    assertNotContains(response, "SC-002")
    assertContains(response, "No pay apps yet.")


def test_a_contact_without_invites_is_told_where_they_come_from(login, world):
    # when
    response = login("contact").get(URL)
    # then
    assertContains(
        response,
        "No Invites to Bill yet. When a contractor invites you to bill, the invite appears "
        "here and in your email.",
    )
    assertContains(response, "No pay apps yet.")


@pytest.mark.parametrize("role", ["admin", "standard", "read_only", "stranger"])
def test_a_member_sees_what_the_page_is_for(login, world, role):
    # given pay apps on the project
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    billed(world, world.other_commitment, work="4000.00")
    # when
    response = login(role).get(URL)
    # then
    assert response.status_code == 200
    assertContains(
        response,
        "This page lists the Invites to Bill and pay apps of payment application contacts: the "
        "vendor users named on a commitment, who bill for it. You are not a payment application "
        "contact on any commitment.",
    )
    assertNotContains(response, "SC-001")
    assertNotContains(response, "SC-002")


def test_anonymous_is_sent_to_log_in(client, world):
    assertRedirects(client.get(URL), f"/login/?next={URL}", fetch_redirect_response=False)


def test_the_dashboard_costs_the_same_queries_for_1_or_11_pay_apps(
    login, world, django_assert_max_num_queries
):
    # given
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    billed(world, world.commitment, work="1000.00")
    client = login("contact")
    with django_assert_max_num_queries(30) as few:
        client.get(URL)
    for n in range(10):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment)
        commitment.contacts.add(world.contact)
        invites_send(actor=world.admin, period=world.period, contracts=[commitment])
        billed(world, commitment, work="500.00")
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assertContains(response, "SC-109")
