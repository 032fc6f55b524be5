"""Log-in throttling (django-axes, sitebill/accounts/throttling.py).

Five failed log-ins for one email from one address lock that pair out for 15 minutes, on the web
log-in page and on the API's token endpoint alike; another email from the same address (a
colleague behind the same office NAT) is not locked out.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from rest_framework.test import APIClient

from sitebill.accounts.throttling import client_ip_address, lockout_message, login_username

PASSWORD = "demo1234"
MESSAGE = "Too many failed log-in attempts: try again in 15 minutes or reset your password."
OFFICE = "203.0.113.7"


def web_login(client: Client, email: str, password: str, *, ip: str = OFFICE):
    return client.post("/login/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def api_login(email: str, password: str, *, ip: str = OFFICE):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json", REMOTE_ADDR=ip
    )


def fail_web_login(client: Client, email: str, times: int, *, ip: str = OFFICE) -> list[int]:
    return [web_login(client, email, "wrong-password", ip=ip).status_code for _ in range(times)]


def is_logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_message_names_the_cool_off():
    assert lockout_message(timedelta(minutes=15)) == MESSAGE
    assert lockout_message(timedelta(seconds=30)) == (
        "Too many failed log-in attempts: try again in 1 minute or reset your password."
    )


def test_five_wrong_passwords_lock_the_web_login_even_for_the_right_one(client, world):
    # when
    statuses = fail_web_login(client, world.contact.email, 5)
    right = web_login(client, world.contact.email, PASSWORD)
    # then: the fifth failure already answers with the locked-out page
    assert statuses == [200, 200, 200, 200, 429]
    assert right.status_code == 429
    assert MESSAGE in right.content.decode()
    assert right["Retry-After"] == "900"
    assert b'href="/password-reset/"' in right.content
    assert not is_logged_in(client)


def test_four_wrong_passwords_do_not_lock(client, world):
    # given
    fail_web_login(client, world.contact.email, 4)
    # when
    response = web_login(client, world.contact.email, PASSWORD)
    # then
    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_colleague_behind_the_same_address_is_not_locked_out(client, world):
    # given the contact is locked out from the office's address
    fail_web_login(client, world.contact.email, 5)
    # when a colleague logs in from that same address
    colleague = Client()
    response = web_login(colleague, world.admin.email, PASSWORD)
    # then
    assert response.status_code == 302
    assert is_logged_in(colleague)


def test_the_same_email_from_another_address_is_not_locked_out(client, world):
    # given
    fail_web_login(client, world.contact.email, 5, ip="198.51.100.1")
    # when
    response = web_login(client, world.contact.email, PASSWORD, ip="198.51.100.2")
    # then
    assert response.status_code == 302


def test_the_email_counts_whatever_its_case(client, world):
    # given failures spelt three ways
    for email in ["BILLING@acme.example", "Billing@Acme.Example", " billing@acme.example "]:
        web_login(client, email, "wrong-password")
    fail_web_login(client, "billing@acme.example", 1)
    # when
    response = web_login(client, "billing@acme.example", "wrong-password")
    # then
    assert response.status_code == 429


def test_after_the_cool_off_the_right_password_works(client, world):
    # given a lockout 16 minutes ago
    fail_web_login(client, world.contact.email, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    # when
    response = web_login(client, world.contact.email, PASSWORD)
    # then
    assert response.status_code == 302
    assert is_logged_in(client)


def test_within_the_cool_off_the_lockout_holds(client, world):
    # given a lockout 14 minutes ago
    fail_web_login(client, world.contact.email, 5)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    # when
    response = web_login(client, world.contact.email, PASSWORD)
    # then
    assert response.status_code == 429


def test_a_successful_log_in_clears_the_count(client, world):
    # given four failures, then the right password
    fail_web_login(client, world.contact.email, 4)
    assert web_login(client, world.contact.email, PASSWORD).status_code == 302
    client.post("/logout/", REMOTE_ADDR=OFFICE)
    # when four more failures
    statuses = fail_web_login(client, world.contact.email, 4)
    # then the count started again
    assert statuses == [200, 200, 200, 200]
    assert web_login(client, world.contact.email, PASSWORD).status_code == 302


def test_five_wrong_passwords_lock_the_api_token_endpoint(world):
    # when
    statuses = [api_login(world.contact.email, "wrong-password").status_code for _ in range(5)]
    right = api_login(world.contact.email, PASSWORD)
    # then
    assert statuses == [400, 400, 400, 400, 429]
    assert right.status_code == 429
    assert right.json() == {"message": MESSAGE, "code": "locked_out", "fields": {}}
    assert right["Content-Type"] == "application/json"


def test_the_api_lockout_spares_a_colleague_and_the_web_shares_the_count(client, world):
    # given three failures on the API and two on the web page: one count for the pair
    for _ in range(3):
        api_login(world.contact.email, "wrong-password")
    fail_web_login(client, world.contact.email, 2)
    # then
    assert api_login(world.contact.email, PASSWORD).status_code == 429
    assert api_login(world.admin.email, PASSWORD).status_code == 200


def test_a_token_clears_the_api_count(world):
    # given
    for _ in range(4):
        api_login(world.contact.email, "wrong-password")
    assert api_login(world.contact.email, PASSWORD).status_code == 200
    # when
    statuses = [api_login(world.contact.email, "wrong-password").status_code for _ in range(4)]
    # then
    assert statuses == [400, 400, 400, 400]


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "6.6.6.6", "10.0.0.1"),  # no proxy: the header is the client's to invent
        (1, "127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the proxy's own entry
        (1, "127.0.0.1", "", "127.0.0.1"),  # a proxy that sent no header
        (2, "127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    settings, rf, proxies, remote, forwarded, expected
):
    settings.SITEBILL_PROXY_COUNT = proxies
    request = rf.post("/login/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip_address(request) == expected


def test_the_username_is_the_email_of_either_form(rf):
    assert login_username(None, {"username": "A@X.example"}) == "a@x.example"
    assert login_username(None, {"username": None, "email": "B@x.example"}) == "b@x.example"
    assert login_username(rf.post("/login/", {"username": "c@x.example"}), None) == "c@x.example"
    assert login_username(None, {}) is None
