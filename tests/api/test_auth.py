"""Logging in over the API: an email and a password buy a token; no credentials, no answer."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sitebill.api.auth import INVALID_CREDENTIALS

TOKEN_URL = "/api/v1/auth/token/"
WRONG_CREDENTIALS = {"message": INVALID_CREDENTIALS, "code": "invalid_credentials", "fields": {}}


def test_the_right_email_and_password_get_the_users_token(world):
    # when
    response = APIClient().post(
        TOKEN_URL, {"email": "admin@summit.example", "password": "demo1234"}, format="json"
    )
    # then
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=world.admin).key}


def test_asking_twice_gets_the_same_token(world):
    # given
    credentials = {"email": "admin@summit.example", "password": "demo1234"}
    first = APIClient().post(TOKEN_URL, credentials, format="json").json()["token"]
    # when
    second = APIClient().post(TOKEN_URL, credentials, format="json").json()["token"]
    # then
    assert second == first
    assert Token.objects.filter(user=world.admin).count() == 1


def test_the_email_is_not_case_sensitive(world):
    response = APIClient().post(
        TOKEN_URL, {"email": "Admin@Summit.Example", "password": "demo1234"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=world.admin).key}


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"email": "admin@summit.example", "password": "wrong"}, id="wrong-password"),
        pytest.param({"email": "nobody@summit.example", "password": "demo1234"}, id="no-account"),
    ],
)
def test_wrong_credentials_get_one_message_that_reveals_nothing(world, credentials):
    # when
    response = APIClient().post(TOKEN_URL, credentials, format="json")
    # then
    assert response.status_code == 400
    assert response.json() == WRONG_CREDENTIALS
    assert not Token.objects.exists()


def test_a_deactivated_user_gets_no_token(world):
    # given
    world.admin.is_active = False
    world.admin.save(update_fields=["is_active"])
    # when
    response = APIClient().post(
        TOKEN_URL, {"email": "admin@summit.example", "password": "demo1234"}, format="json"
    )
    # then
    assert response.status_code == 400
    assert response.json() == WRONG_CREDENTIALS
    assert not Token.objects.exists()


def test_a_missing_password_is_named(world):
    response = APIClient().post(TOKEN_URL, {"email": "admin@summit.example"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "password: This field is required.",
        "code": "invalid",
        "fields": {"password": ["This field is required."]},
    }


def test_the_token_opens_the_api(world):
    # given
    token = Token.objects.create(user=world.admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    # when
    response = client.get(f"/api/v1/projects/{world.project.pk}/")
    # then
    assert response.status_code == 200
    assert response.json()["name"] == "Riverside Clinic"


def test_a_call_without_credentials_gets_401(world):
    # when
    response = APIClient().get("/api/v1/projects/")
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "message": "Authentication credentials were not provided.",
        "code": "not_authenticated",
        "fields": {},
    }


def test_a_made_up_token_gets_401(world):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json() == {
        "message": "Invalid token.",
        "code": "authentication_failed",
        "fields": {},
    }


def _endpoints(world):
    project, commitment = world.project.pk, world.commitment.pk
    return [
        ("get", "/api/v1/companies/"),
        ("post", "/api/v1/companies/"),
        ("get", "/api/v1/users/"),
        ("post", "/api/v1/users/"),
        ("get", "/api/v1/projects/"),
        ("post", "/api/v1/projects/"),
        ("get", f"/api/v1/projects/{project}/"),
        ("patch", f"/api/v1/projects/{project}/settings/"),
        ("get", f"/api/v1/projects/{project}/members/"),
        ("post", f"/api/v1/projects/{project}/members/"),
        ("get", f"/api/v1/projects/{project}/commitments/"),
        ("post", f"/api/v1/projects/{project}/commitments/"),
        ("get", f"/api/v1/commitments/{commitment}/"),
        ("post", f"/api/v1/commitments/{commitment}/contacts/"),
        ("post", f"/api/v1/commitments/{commitment}/change-orders/"),
        ("post", "/api/v1/change-orders/1/status/"),
        ("get", f"/api/v1/projects/{project}/client-contracts/"),
        ("post", f"/api/v1/projects/{project}/client-contracts/"),
        ("get", "/api/v1/client-contracts/1/"),
        ("post", "/api/v1/client-contracts/1/change-orders/"),
        ("get", f"/api/v1/projects/{project}/billing-periods/"),
        ("post", f"/api/v1/projects/{project}/billing-periods/"),
    ]


def test_every_setup_endpoint_needs_credentials(world):
    for method, url in _endpoints(world):
        # when
        response = getattr(APIClient(), method)(url, {}, format="json")
        # then
        assert response.status_code == 401, (method, url)
        assert response.json()["code"] == "not_authenticated", (method, url)
