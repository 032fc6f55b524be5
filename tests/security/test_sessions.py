"""Sessions end when they should (ASVS 7.4): on log-out, on a password change elsewhere, on a
password reset by email. An ended session's cookie opens nothing any more."""

from __future__ import annotations

import re

from django.conf import settings
from django.core import mail
from django.test import Client

from tests import factories

PASSWORD = "demo1234"
NEW_PASSWORD = "a-long-new-pass-42"
LINK = re.compile(r"http://testserver(/password-reset/[^/\s]+/[^/\s]+/)")


def logged_in(email: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def opens_home(client: Client) -> bool:
    return client.get("/").status_code == 200


def with_cookie(session_key: str) -> Client:
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def test_a_new_session_on_log_in(world):
    # given a visitor's anonymous session
    client = Client()
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    # when
    client.post("/login/", {"username": world.admin.email, "password": PASSWORD})
    # then: the session key changed (no session fixation)
    assert client.session.session_key != before


def test_log_out_ends_the_session(world):
    # given
    client = logged_in(world.admin.email)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert opens_home(with_cookie(old_key))
    # when
    response = client.post("/logout/")
    # then
    assert response.status_code == 302
    assert not opens_home(client)
    assert not opens_home(with_cookie(old_key))


def test_log_out_is_a_post(world):
    # given
    client = logged_in(world.admin.email)
    # when
    response = client.get("/logout/")
    # then: a link (or an <img>) on another site cannot log anyone out
    assert response.status_code == 405
    assert opens_home(client)


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(world):
    # given the same user logged in on two browsers
    laptop = logged_in(world.admin.email)
    phone = logged_in(world.admin.email)
    # when the password is changed on the laptop
    response = laptop.post(
        "/password-change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 302
    assert response["Location"] == "/password-change/done/"
    assert "Password changed" in laptop.get("/password-change/done/").content.decode()
    assert opens_home(laptop)
    assert not opens_home(phone)
    world.admin.refresh_from_db()
    assert world.admin.check_password(NEW_PASSWORD)


def test_a_password_change_needs_the_old_password(world):
    # given
    client = logged_in(world.admin.email)
    # when
    response = client.post(
        "/password-change/",
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    world.admin.refresh_from_db()
    assert world.admin.check_password(PASSWORD)


def test_the_password_change_page_needs_a_log_in(client, db):
    response = client.get("/password-change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/password-change/")


def test_a_password_reset_by_email_works_and_ends_the_old_sessions(world):
    # given a session opened with the old password
    old_session = logged_in(world.contact.email)
    # when a link is asked for and followed
    stranger = Client()
    assert stranger.post("/password-reset/", {"email": world.contact.email}).status_code == 302
    assert len(mail.outbox) == 1
    link = LINK.search(mail.outbox[0].body)
    assert link, mail.outbox[0].body
    confirm = stranger.get(link.group(1), follow=True)
    done = stranger.post(
        confirm.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    # then
    assert done.status_code == 302
    assert not opens_home(old_session)
    new_session = Client()
    assert (
        new_session.post(
            "/login/", {"username": world.contact.email, "password": NEW_PASSWORD}
        ).status_code
        == 302
    )
    # and the link works once only
    again = stranger.get(link.group(1), follow=True)
    assert "This link cannot be used" in again.content.decode()


def test_a_password_reset_for_an_unknown_email_says_the_same(client, db):
    # given
    factories.UserFactory(email="known@example.com")
    # when
    known = client.post("/password-reset/", {"email": "known@example.com"})
    unknown = client.post("/password-reset/", {"email": "nobody@example.com"})
    # then: the answer does not tell whether the email has an account
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert len(mail.outbox) == 1


def test_every_page_links_a_signed_in_user_to_the_password_change(world, client):
    # given
    client.force_login(world.contact)
    # when
    page = client.get("/").content.decode()
    # then
    assert 'href="/password-change/"' in page and "Change password" in page


def test_a_session_lasts_one_working_day_not_two_weeks(world, client):
    # when
    response = client.post("/login/", {"username": world.admin.email, "password": PASSWORD})
    # then
    assert response.cookies["sessionid"]["max-age"] == 12 * 60 * 60
