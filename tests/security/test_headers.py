"""Response headers on every page, and CSRF on every form.

Every URL the web app routes (and the API, its docs, the admin, the outbox, a 404) answers with
the Content-Security-Policy of sitebill/core/csp.py and the headers of config/settings/base.py;
every POST form carries the CSRF token, and a POST without it is refused with 403.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.authtoken.models import Token

from sitebill.accounts.models import User
from sitebill.billing.demo import load_demo
from sitebill.billing.models import PayApp
from sitebill.contracts.models import Contract
from sitebill.core.csp import (
    POLICY,
    RELAXED,
    SWAGGER_UI_STYLE_HASH,
    ContentSecurityPolicyMiddleware,
)

STRICT = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.DOTALL | re.IGNORECASE)
POST_FORM = re.compile(r"<form\b[^>]*method=[\"']?post", re.IGNORECASE)


@pytest.fixture
def demo(db) -> dict[str, Any]:
    project = load_demo()
    pay_app = PayApp.objects.filter(contract__project=project).order_by("pk").first()
    assert pay_app is not None
    commitment = Contract.objects.filter(project=project, number="SC-001").get()
    client_contract = Contract.objects.filter(project=project, number="PC-001").get()
    return {
        "project": project,
        "pay_app": pay_app,
        "commitment": commitment,
        "client_contract": client_contract,
    }


def _web_patterns(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from _web_patterns(entry.url_patterns, prefix + namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry


def every_web_url(demo: dict[str, Any]) -> list[str]:
    """One URL for each named route of the web app and the outbox, with demo ids."""
    values = {
        "project_id": demo["project"].pk,
        "contract_id": demo["commitment"].pk,
        "pay_app_id": demo["pay_app"].pk,
        "attachment_id": 1,
        "invite_id": 1,
        "message_id": 1,
        "action": "accept",
        "token": "not-a-token",
        "uidb64": "MQ",
    }
    urls = []
    for name, pattern in _web_patterns(get_resolver().url_patterns):
        if not name.startswith(("web:", "notifications:")):
            continue
        params = list(pattern.pattern.regex.groupindex)
        kwargs = {param: values.get(param, 1) for param in params}  # any other id: 1
        if name == "web:client_pay_app_sources" or name == "web:client_pay_app_new":
            kwargs = {
                key: (demo["client_contract"].pk if key == "contract_id" else value)
                for key, value in kwargs.items()
            }
        urls.append(reverse(name, kwargs=kwargs))
    return urls


def assert_secure_headers(response: Any, url: str) -> None:
    policy = response.get("Content-Security-Policy")
    assert policy == STRICT, (url, response.status_code, policy)
    assert response["X-Content-Type-Options"] == "nosniff", url
    assert response["X-Frame-Options"] == "DENY", url
    assert response["Referrer-Policy"] == "same-origin", url
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", url


def test_the_policy_is_the_strict_one():
    assert POLICY == STRICT
    assert set(RELAXED) == {"api-docs"}


@pytest.mark.parametrize("who", ["admin", "contact", "anonymous"])
def test_every_page_answers_with_the_security_headers(demo, who):
    # given
    client = Client()
    if who == "admin":
        client.post("/login/", {"username": "admin@example.com", "password": "demo1234"})
    elif who == "contact":
        client.post("/login/", {"username": "billing@acme.example", "password": "demo1234"})
    urls = every_web_url(demo)
    assert len(urls) > 30
    # when / then
    statuses = set()
    for url in urls:
        response = client.get(url)
        statuses.add(response.status_code)
        assert_secure_headers(response, url)
    assert 200 in statuses


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/projects/",
        "/api/schema/",
        "/admin/login/",
        "/no-such-page/",
        "/static/web/sitebill.css",
    ],
)
def test_the_api_admin_and_error_pages_answer_with_the_security_headers(demo, url):
    client = Client()
    client.post("/login/", {"username": "admin@example.com", "password": "demo1234"})
    response = client.get(url)
    assert_secure_headers(response, url)


def test_the_api_docs_allow_their_one_inline_style_by_its_hash(db):
    # when
    response = Client().get("/api/docs/")
    # then: Swagger UI's scripts are files (the split view), from our static files
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>" not in html
    assert "cdn" not in html.lower()
    # and its one inline <style> is allowed by its hash, and nothing else inline is
    styles = re.findall(r"<style>(.*?)</style>", html, re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"sha256-{digest}" == SWAGGER_UI_STYLE_HASH, "update SWAGGER_UI_STYLE_HASH"
    assert response["Content-Security-Policy"] == STRICT.replace(
        "style-src 'self';", f"style-src 'self' '{SWAGGER_UI_STYLE_HASH}';"
    )


def test_a_view_that_sets_its_own_policy_keeps_it(rf):
    def view(request):
        response = HttpResponse("ok")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_with_debug_on_the_error_pages_of_django_keep_their_inline_styles(rf, settings):
    # given `make run`'s DEBUG
    settings.DEBUG = True
    middleware = ContentSecurityPolicyMiddleware(lambda request: HttpResponse(status=404))
    page = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("ok"))
    # then
    assert "Content-Security-Policy" not in middleware(rf.get("/nowhere/"))
    assert page(rf.get("/"))["Content-Security-Policy"] == STRICT


@pytest.mark.parametrize("who", ["admin", "contact"])
def test_every_post_form_carries_the_csrf_token(demo, who):
    # given
    client = Client()
    email = "admin@example.com" if who == "admin" else "billing@acme.example"
    client.post("/login/", {"username": email, "password": "demo1234"})
    pages = [*every_web_url(demo), "/login/", "/password-reset/"]
    # when / then
    forms = 0
    for url in pages:
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue
        for form in FORM.findall(response.content.decode()):
            if POST_FORM.match(form):
                forms += 1
                assert 'name="csrfmiddlewaretoken"' in form, (url, form[:200])
    assert forms > 5


def no_csrf_client(email: str | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if email:  # the login form needs a token too: log in by the back door
        client.force_login(User.objects.get(email=email))
    return client


def test_posts_without_the_csrf_token_are_refused(demo):
    # given an admin logged in, on a browser that enforces CSRF
    client = no_csrf_client("admin@example.com")
    project = demo["project"]
    pay_app = demo["pay_app"]
    targets = [
        "/logout/",
        "/password-change/",
        f"/projects/{project.pk}/billing-periods/",
        f"/projects/{project.pk}/progress-billings/send-invites/",
        f"/pay-apps/{pay_app.pk}/",
        f"/pay-apps/{pay_app.pk}/review/",
        f"/commitments/{demo['commitment'].pk}/pay-apps/new/",
        "/api/v1/companies/",
    ]
    # when / then
    for url in targets:
        response = client.post(url, {"name": "Evil Co", "kind": "vendor"})
        assert response.status_code == 403, (url, response.status_code)
    assert client.get("/").status_code == 200  # still logged in: the log-out was refused


def test_the_login_form_needs_the_csrf_token_too(demo):
    client = no_csrf_client(None)
    response = client.post("/login/", {"username": "admin@example.com", "password": "demo1234"})
    assert response.status_code == 403


def test_a_post_with_the_token_passes(demo):
    # given
    client = no_csrf_client("admin@example.com")
    client.get("/")
    token = client.cookies["csrftoken"].value
    # when
    response = client.post("/logout/", HTTP_X_CSRFTOKEN=token)
    # then
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_the_api_with_a_token_header_needs_no_csrf_token(demo):
    # given a script: no cookies, a token header
    token, _ = Token.objects.get_or_create(user=User.objects.get(email="admin@example.com"))
    client = Client(enforce_csrf_checks=True)
    # when
    response = client.post(
        "/api/v1/companies/",
        {"name": "Another Vendor", "kind": "vendor"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    # then
    assert response.status_code == 201, response.content
