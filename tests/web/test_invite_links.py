"""The Accept / Decline links of an Invite to Bill email, and the in-app answer buttons.

A GET never answers (mail scanners fetch links); the POST of the page's one button does. Only a
payment application contact of that commitment may answer; a forged or expired link says so."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import signing
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import Invite, PayApp
from sitebill.billing.services.invites import invite_link_token, invites_send
from sitebill.core.models import Event
from tests import factories


@pytest.fixture
def invite(world) -> Invite:
    result = invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    return result.invited[0]


def link(invite: Invite, action: str) -> str:
    return f"/invites/{action}/{invite_link_token(invite, action)}/"


def answer_url(invite: Invite, action: str) -> str:
    return f"/invites/{invite.pk}/{action}/"


def unchanged(invite: Invite) -> bool:
    invite.refresh_from_db()
    return invite.status == Invite.Status.INVITED and invite.responded_at is None


# --------------------------------------------------------------------------------------------
# The email link


@pytest.mark.parametrize("action", ["accept", "decline"])
def test_a_get_shows_the_invite_and_changes_nothing(login, world, invite, action):
    # when
    response = login("contact").get(link(invite, action))
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f"""<dl class="facts">
        <dt>Project</dt><dd>Riverside Clinic ({world.project.number})</dd>
        <dt>Commitment</dt><dd>SC-001 Concrete</dd>
        <dt>Billing period</dt><dd>Period 1: Nov 1, 2026 – Nov 30, 2026</dd>
        <dt>Due date</dt><dd>Dec 31, 2099</dd>
        <dt>Invoice type</dt><dd>Work &amp; Materials</dd></dl>""",
        html=True,
    )
    style = "primary" if action == "accept" else "danger"
    assertContains(
        response,
        f'<button type="submit" class="button button--{style}">{action.title()}</button>',
        html=True,
    )
    assert response.content.decode().count('type="submit"') == 2  # this one, and Log out
    assert unchanged(invite)
    assert not Event.objects.filter(action__in=["invite_accepted", "invite_declined"]).exists()


def test_accept_by_post_accepts_and_goes_on_to_create_the_pay_app(login, world, invite):
    # given
    client = login("contact")
    # when
    response = client.post(link(invite, "accept"))
    # then
    assertRedirects(
        response,
        f"/commitments/{world.commitment.pk}/pay-apps/new/",
        fetch_redirect_response=False,
    )
    invite.refresh_from_db()
    assert invite.status == Invite.Status.ACCEPTED
    assert invite.responded_by == world.contact
    page = client.get("/billing/")
    assertContains(
        page,
        "You accepted the Invite to Bill for SC-001 Concrete, Period 1. Create your progress "
        "billing now.",
    )


def test_decline_by_post_declines_and_goes_to_the_dashboard(login, world, invite):
    # given
    client = login("contact")
    # when
    response = client.post(link(invite, "decline"))
    # then
    assertRedirects(response, "/billing/", fetch_redirect_response=False)
    invite.refresh_from_db()
    assert invite.status == Invite.Status.DECLINED
    page = client.get("/billing/")
    assertContains(
        page,
        '<div class="alert alert--success" role="status">You declined the Invite to Bill for '
        "SC-001 Concrete, Period 1. No pay app will be created for this period.</div>",
        html=True,
    )
    assertContains(page, '<span class="pill pill--declined">Declined</span>', html=True)


def test_answering_twice_says_so_and_changes_nothing(login, world, invite):
    # given an accepted invite
    client = login("contact")
    client.post(link(invite, "accept"))
    invite.refresh_from_db()
    answered_at = invite.responded_at
    day = f"{timezone.localtime(answered_at):%b} {timezone.localtime(answered_at).day}, "
    day += f"{timezone.localtime(answered_at).year}"
    # when the decline link is used after all, by GET and by POST
    shown = client.get(link(invite, "decline"))
    posted = client.post(link(invite, "decline"))
    again = client.post(link(invite, "accept"))
    # then
    for response in (shown, posted, again):
        assert response.status_code == 200
        assertContains(
            response,
            f'<div class="alert alert--info" role="status">You already accepted this invite on '
            f"{day}.</div>",
            html=True,
        )
        assertNotContains(response, "button--danger")
    invite.refresh_from_db()
    assert invite.status == Invite.Status.ACCEPTED
    assert invite.responded_at == answered_at
    assert Event.objects.filter(action="invite_accepted").count() == 1
    assert not Event.objects.filter(action="invite_declined").exists()


def test_a_second_contact_is_told_who_answered(client, world, invite):
    # given a second contact on the commitment, and the first one declined
    second = factories.UserFactory(
        email="pm@acme.example", name="Pat Manager", company=world.vendor
    )
    world.commitment.contacts.add(second)
    client.force_login(world.contact)
    client.post(link(invite, "decline"))
    world.contact.name = "Casey Contact"
    world.contact.save(update_fields=["name"])
    # when the second one opens the accept link
    client.force_login(second)
    response = client.get(link(invite, "accept"))
    # then
    assertContains(response, "Casey Contact already declined this invite on ")
    invite.refresh_from_db()
    assert invite.status == Invite.Status.DECLINED


def test_anonymous_is_sent_to_log_in_and_back(client, world, invite):
    # given
    url = link(invite, "accept")
    # when
    response = client.get(url)
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/invites/accept/")
    login_page = client.get(response["Location"])
    assertContains(
        login_page, '<a href="/password-reset/">Set or reset your password</a>', html=True
    )
    assert unchanged(invite)


def test_anonymous_post_answers_nothing(client, world, invite):
    # when
    response = client.post(link(invite, "accept"))
    # then
    assert response.status_code == 302
    assert unchanged(invite)


@pytest.mark.parametrize("role", ["other_contact", "stranger"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_anyone_who_may_not_see_that_commitment_gets_not_found(login, world, invite, role, method):
    # when
    response = getattr(login(role), method)(link(invite, "accept"))
    # then
    assert response.status_code == 404
    assertContains(response, "<h1>Not found</h1>", status_code=404, html=True)
    assert unchanged(invite)


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_project_member_sees_the_invite_but_may_not_answer_it(login, world, invite, role, method):
    # when
    response = getattr(login(role), method)(link(invite, "accept"))
    # then
    assertContains(
        response,
        "Only a payment application contact of this commitment can answer its Invite to Bill.",
        status_code=403,
    )
    assert unchanged(invite)


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.TimestampSigner(salt="something.else").sign_object({"i": 1}),
    ],
)
def test_a_forged_link_is_a_clear_400(login, world, invite, token):
    # when
    response = login("contact").get(f"/invites/accept/{token}/")
    # then
    assert response.status_code == 400
    assertContains(response, "<h1>This link cannot be used</h1>", status_code=400, html=True)
    assertContains(response, "This link is not valid.", status_code=400)
    assert unchanged(invite)


def test_an_accept_token_does_not_decline(login, world, invite):
    # given the accept link's token on the decline address
    token = invite_link_token(invite, "accept")
    # when
    response = login("contact").post(f"/invites/decline/{token}/")
    # then
    assert response.status_code == 400
    assert unchanged(invite)


def test_an_expired_link_says_so(login, world, invite):
    # given a link older than its lifetime
    url = link(invite, "accept")
    # when
    with mock.patch("sitebill.billing.services.invites.INVITE_LINK_MAX_AGE", -1):
        response = login("contact").post(url)
    # then
    assert response.status_code == 400
    assertContains(
        response,
        "This link has expired. Open the pay app from sitebill instead.",
        status_code=400,
    )
    assert unchanged(invite)


def test_an_unknown_action_is_not_a_route(login, world, invite):
    token = invite_link_token(invite, "accept")
    assert login("contact").get(f"/invites/approve/{token}/").status_code == 404


# --------------------------------------------------------------------------------------------
# The dashboard's buttons


def test_accept_in_the_app(login, world, invite):
    # when
    response = login("contact").post(answer_url(invite, "accept"))
    # then
    assertRedirects(
        response,
        f"/commitments/{world.commitment.pk}/pay-apps/new/",
        fetch_redirect_response=False,
    )
    invite.refresh_from_db()
    assert invite.status == Invite.Status.ACCEPTED


def test_decline_in_the_app(login, world, invite):
    # when
    response = login("contact").post(answer_url(invite, "decline"))
    # then
    assertRedirects(response, "/billing/", fetch_redirect_response=False)
    invite.refresh_from_db()
    assert invite.status == Invite.Status.DECLINED
    assert not PayApp.objects.exists()


def test_answering_twice_in_the_app_says_so(login, world, invite):
    # given
    client = login("contact")
    client.post(answer_url(invite, "decline"))
    # when
    response = client.post(answer_url(invite, "accept"))
    # then
    assertRedirects(response, "/billing/", fetch_redirect_response=False)
    page = client.get("/billing/")
    assertContains(page, "You already declined this invite on ")
    invite.refresh_from_db()
    assert invite.status == Invite.Status.DECLINED


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("other_contact", 404),
        ("stranger", 404),
        ("admin", 403),
        ("standard", 403),
        ("read_only", 403),
    ],
)
def test_in_the_app_only_the_contact_may_answer(login, world, invite, role, status):
    # when
    response = login(role).post(answer_url(invite, "accept"))
    # then: a project member sees the invite (403); anyone else does not (404)
    assert response.status_code == status
    assert unchanged(invite)


def test_in_the_app_a_get_answers_nothing(login, world, invite):
    assert login("contact").get(answer_url(invite, "accept")).status_code == 405
    assert unchanged(invite)
