"""Set or reset your password: Django's reset views with sitebill's pages and mail.

A payment application contact created without a password (`user_create`) sets the first one
this way, so the form also reaches users whose password is unusable."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from pytest_django.asserts import assertContains, assertRedirects

from tests import factories

LINK = re.compile(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)")


def ask_for_a_link(client, email: str):
    return client.post("/password-reset/", {"email": email})


def link_in(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def test_the_login_page_offers_it(client, db):
    response = client.get("/login/")
    assertContains(response, '<a href="/password-reset/">Set or reset your password</a>', html=True)


def test_the_form_asks_for_the_email(client, db):
    # when
    response = client.get("/password-reset/")
    # then
    assertContains(response, '<h1 id="reset-title">Set or reset your password</h1>', html=True)
    assertContains(response, 'name="email"')
    assertContains(
        response,
        '<button type="submit" class="button button--primary button--block">Email me a link'
        "</button>",
        html=True,
    )


def test_a_known_email_gets_a_link_and_the_password_can_be_set(client, world):
    # when
    response = ask_for_a_link(client, "billing@acme.example")
    # then
    assertRedirects(response, "/password-reset/sent/")
    assert [m.to for m in mail.outbox] == [["billing@acme.example"]]
    assert mail.outbox[0].subject == "Set your sitebill password"
    # when the link is followed
    confirm = client.get(link_in(mail.outbox[0]), follow=True)
    assertContains(confirm, '<h1 id="confirm-title">Choose a password</h1>', html=True)
    done = client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"},
    )
    # then
    assertRedirects(done, "/password-reset/done/")
    assertContains(client.get("/password-reset/done/"), "Your password is set.")
    assert client.login(username="billing@acme.example", password="a-long-new-pass-42")


def test_a_contact_without_a_password_can_set_one(client, world):
    # given a contact created without a password
    newcomer = factories.UserFactory(email="pm@acme.example", company=world.vendor)
    newcomer.set_unusable_password()
    newcomer.save(update_fields=["password"])
    world.commitment.contacts.add(newcomer)
    # when
    ask_for_a_link(client, "PM@acme.example")
    # then
    assert [m.to for m in mail.outbox] == [["pm@acme.example"]]


def test_an_unknown_email_looks_the_same_and_sends_nothing(client, world):
    # when
    response = ask_for_a_link(client, "nobody@nowhere.example")
    # then
    assertRedirects(response, "/password-reset/sent/")
    assert mail.outbox == []
    assertContains(
        client.get("/password-reset/sent/"),
        "If an account uses that address, we have emailed it a link to choose a password.",
    )


def test_an_inactive_user_gets_nothing(client, world):
    # given
    world.contact.is_active = False
    world.contact.save(update_fields=["is_active"])
    # when
    ask_for_a_link(client, "billing@acme.example")
    # then
    assert mail.outbox == []


@pytest.mark.parametrize("path", ["/password-reset/MQ/bad-token/", "/password-reset/zz/x-y/"])
def test_a_bad_link_says_so(client, world, path):
    # when
    response = client.get(path, follow=True)
    # then
    assertContains(response, '<h1 id="confirm-title">This link cannot be used</h1>', html=True)
    assertContains(response, '<a href="/password-reset/">Ask for a new link</a>', html=True)


def test_a_link_works_once(client, world):
    # given a password set through a link
    ask_for_a_link(client, "billing@acme.example")
    path = link_in(mail.outbox[0])
    confirm = client.get(path, follow=True)
    client.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"},
    )
    # when it is used again
    response = client.get(path, follow=True)
    # then
    assertContains(response, "This link cannot be used")
